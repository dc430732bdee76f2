"""The benchmarks: `steuntje bench` (envelopes between pairs, groups, the web app) and
`steuntje retention bench`. They drive the relay from outside, as clients do, so they depend
on relay/ and the client library; neither of those imports anything from here."""
