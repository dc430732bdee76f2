// The questionnaires a worker can send without adding any: one neutral example of our own
// making (questionnaires/examples/hoe-gaat-het-mantelzorger.json, the same document: a test
// checks that both have the same hash). An organisation adds its own as a JSON file in the
// worker's app (kept on that device, in its settings): the relay never learns which one a
// caregiver got, nor the answers.

export const EXAMPLES = Object.freeze([
  {
    "format": "steuntje-questionnaire-1",
    "id": "hoe-gaat-het-mantelzorger",
    "version": "1",
    "title": {
      "nl": "Hoe gaat het met u als mantelzorger?",
      "en": "How are you doing as a carer?"
    },
    "intro": {
      "nl": "Zeven korte vragen over de afgelopen twee weken. Er zijn geen goede of foute antwoorden.",
      "en": "Seven short questions about the past two weeks. There are no right or wrong answers."
    },
    "items": [
      {
        "id": "rust",
        "answer": "choice",
        "text": {
          "nl": "Had u genoeg tijd voor uzelf?",
          "en": "Did you have enough time for yourself?"
        },
        "options": [
          {
            "nl": "Nooit",
            "en": "Never"
          },
          {
            "nl": "Soms",
            "en": "Sometimes"
          },
          {
            "nl": "Vaak",
            "en": "Often"
          },
          {
            "nl": "Altijd",
            "en": "Always"
          }
        ]
      },
      {
        "id": "slaap",
        "answer": "choice",
        "text": {
          "nl": "Sliep u goed?",
          "en": "Did you sleep well?"
        },
        "options": [
          {
            "nl": "Nooit",
            "en": "Never"
          },
          {
            "nl": "Soms",
            "en": "Sometimes"
          },
          {
            "nl": "Vaak",
            "en": "Often"
          },
          {
            "nl": "Altijd",
            "en": "Always"
          }
        ]
      },
      {
        "id": "zorgen",
        "answer": "choice",
        "text": {
          "nl": "Maakte u zich zorgen over de zorg die u geeft?",
          "en": "Did you worry about the care you give?"
        },
        "options": [
          {
            "nl": "Nooit",
            "en": "Never"
          },
          {
            "nl": "Soms",
            "en": "Sometimes"
          },
          {
            "nl": "Vaak",
            "en": "Often"
          },
          {
            "nl": "Altijd",
            "en": "Always"
          }
        ]
      },
      {
        "id": "hulp",
        "answer": "choice",
        "text": {
          "nl": "Kon u hulp vragen als u dat nodig had?",
          "en": "Could you ask for help when you needed it?"
        },
        "options": [
          {
            "nl": "Nooit",
            "en": "Never"
          },
          {
            "nl": "Soms",
            "en": "Sometimes"
          },
          {
            "nl": "Vaak",
            "en": "Often"
          },
          {
            "nl": "Altijd",
            "en": "Always"
          }
        ]
      },
      {
        "id": "contact",
        "answer": "choice",
        "text": {
          "nl": "Had u contact met mensen om u heen?",
          "en": "Were you in touch with people around you?"
        },
        "options": [
          {
            "nl": "Nooit",
            "en": "Never"
          },
          {
            "nl": "Soms",
            "en": "Sometimes"
          },
          {
            "nl": "Vaak",
            "en": "Often"
          },
          {
            "nl": "Altijd",
            "en": "Always"
          }
        ]
      },
      {
        "id": "zwaar",
        "answer": "choice",
        "text": {
          "nl": "Hoe zwaar was het zorgen in het algemeen?",
          "en": "How heavy was caring, overall?"
        },
        "options": [
          {
            "nl": "Licht",
            "en": "Light"
          },
          {
            "nl": "Te doen",
            "en": "Manageable"
          },
          {
            "nl": "Zwaar",
            "en": "Heavy"
          },
          {
            "nl": "Te zwaar",
            "en": "Too heavy"
          }
        ]
      },
      {
        "id": "wens",
        "answer": "text",
        "text": {
          "nl": "Wat zou u het meest helpen? (mag leeg blijven)",
          "en": "What would help you most? (may stay empty)"
        },
        "max": 500
      }
    ]
  },
]);

/** The example and the organisation's own questionnaires this worker's app holds. */
export function available(messenger) {
  const own = messenger.settings().questionnaires;
  return [...EXAMPLES, ...(Array.isArray(own) ? own : [])];
}
