"""Texts for wake-word data: the phrase, hard negatives (similar-sounding and partial phrases),
device commands and general sentences."""
from __future__ import annotations

# Hand-made confusables for the shipped phrases; other phrases get generated ones only.
CONFUSABLES = {
    "hey computer": [
        "hey commuter", "hey compute", "hey computing", "a computer", "the computer",
        "my computer", "hey come here", "hey Peter", "hey compuser", "they compute her",
        "hey come pewter", "okay computer", "hi computer", "say computer", "hey commander",
        "hey cucumber", "hey composer", "pay computer", "hey, come on", "hey, cute",
        "play computer games", "computer", "computers", "hey", "hey there", "hey you",
        "hey come to her", "hey companion", "hey conductor", "hey compass",
    ],
    "hey jarvis": [
        "hey jar", "hey Travis", "hey Harvest", "a jarvis", "hey service", "hey Davis",
        "hey jars", "okay jarvis", "hi jarvis", "say jarvis", "jarvis", "hey", "hey there",
        "hey Marvin", "hey garbage", "hey Jarred", "hey nervous", "hey Charles",
        "the jar is", "hey carvings", "hey gravis", "hey jargon", "jaws", "hey jealous",
    ],
}

SWAPS = {
    "hey": ["hi", "okay", "say", "a", "the", "pay", "they"],
}

COMMANDS = [
    "turn on the kitchen light", "turn off the living room lamp", "set the thermostat to twenty",
    "dim the bedroom lights to fifty percent", "open the garage door", "close the blinds",
    "what time is it", "play some music", "stop", "turn the fan on", "lock the front door",
    "switch off the heater", "set a timer for ten minutes", "turn up the volume",
    "is the back door locked", "make the lights warmer", "turn off everything",
    "start the coffee machine", "set the bathroom fan to low", "turn on the porch light",
]

SENTENCES = [
    "the weather is nice today", "I will be home late tonight", "can you pass me the salt",
    "we should go for a walk later", "the meeting starts at nine", "my phone battery is dead",
    "did you feed the cat", "there is a package at the door", "let me think about it",
    "I could not find my keys", "the train was late again", "she bought a new bicycle",
    "please put the dishes away", "how was your day", "the movie was too long",
    "we need more milk and bread", "he is working from home", "that sounds like a good idea",
    "the children are playing outside", "turn the page and keep reading",
    "I left my umbrella at the office", "the soup needs more pepper",
    "they are coming over on Sunday", "a computer program crashed yesterday",
    "my computer is very slow", "the company hired a new manager", "come here and look at this",
    "hello how are you", "good morning everyone", "thank you very much",
    "the garden looks beautiful in spring", "our neighbours have a loud dog",
    "I think it might rain tomorrow", "she plays the piano every evening",
    "the library closes at six", "where did you put the remote", "let's order pizza tonight",
    "the kettle is boiling", "can you hear me now", "it is cold in here",
    "he fixed the computer screen", "we compared the prices online", "hey there how is it going",
    "hey what are you doing", "hey can you help me", "compute the total for me",
]


def generated_confusables(phrase: str) -> list[str]:
    """Partial phrases and swapped first words of ``phrase`` (any phrase)."""
    words = phrase.lower().split()
    out = set()
    for i in range(len(words)):
        out.add(" ".join(words[: i + 1]))
        out.add(" ".join(words[i:]))
    for i, w in enumerate(words):
        for s in SWAPS.get(w, []):
            out.add(" ".join(words[:i] + [s] + words[i + 1:]))
    last = words[-1]
    if len(last) > 4:
        out.add(" ".join(words[:-1] + [last[: len(last) // 2 + 1]]))
    out.discard(phrase.lower())
    return sorted(out)


def confusables(phrase: str) -> list[str]:
    """Hand-made plus generated hard negatives of a phrase."""
    hand = CONFUSABLES.get(phrase.lower(), [])
    return sorted(set(hand) | set(generated_confusables(phrase)))


def positive_texts(phrase: str) -> list[str]:
    """Spellings of the phrase that change TTS prosody a little."""
    p = phrase.strip()
    words = p.split()
    out = [p, p + "!", p + "?"]
    if len(words) > 1:
        out.append(words[0] + ", " + " ".join(words[1:]))
    return out
