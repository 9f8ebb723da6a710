#!/usr/bin/python3
"""Training/evaluation sentences for the command ASR.

Writes one sentence per line (lower case words, no punctuation) to stdout or a file:
command sentences (many device names, rooms, numbers, phrasings) plus general English
taken from the asterisk prompt transcripts. The device names listed in HELD_OUT_DEVICES
never occur in training sentences: evaluation uses them to show that a new device works
from its pronunciation alone.

scripts/asr/make_model.sh adds the command sentences of scripts/asr/commands.ts (random
registries through the sentence templates) as well.

Usage: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr.sentences --kind train|eval|general --n N --seed S
"""

import argparse
import gzip
import random
import re
import sys

ROOMS = [
    "kitchen", "living room", "bedroom", "bathroom", "office", "hallway", "dining room",
    "guest room", "basement", "attic", "porch", "patio", "study", "nursery", "laundry room",
    "kids room", "master bedroom", "hall", "garden", "upstairs", "downstairs", "lounge",
]
LIGHTS = [
    "light", "lights", "lamp", "ceiling light", "floor lamp", "desk lamp", "table lamp",
    "reading light", "night light", "spotlights", "strip lights", "pendant", "chandelier",
    "wall light", "bedside lamp", "light strip", "led strip", "main light",
]
SWITCHES = [
    "fan", "heater", "kettle", "coffee maker", "tv", "television", "radio", "speaker",
    "plug", "socket", "computer", "printer", "fountain", "humidifier", "air purifier",
    "dishwasher", "washing machine", "toaster", "christmas tree", "fairy lights",
]
COVERS = ["blinds", "curtains", "shades", "shutters", "window", "skylight"]
SCENES = [
    "movie", "movie night", "dinner", "reading", "relax", "good night", "good morning",
    "party", "romantic", "bright", "focus", "away",
]
# Never in training sentences: used by the evaluation as unseen device names.
HELD_OUT_DEVICES = ["garage door", "aquarium", "dehumidifier", "record player", "sauna",
                    "projector", "greenhouse fan", "pool pump"]

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell(n: int) -> str:
    """Spell 0..9999 in words ("twenty one", "one hundred", "two thousand and five")."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        head = ONES[n // 100] + " hundred"
        return head if rest == 0 else head + " " + spell(rest)
    rest = n % 1000
    head = spell(n // 1000) + " thousand"
    return head if rest == 0 else head + " " + spell(rest)


def the(rng: random.Random) -> str:
    return "the " if rng.random() < 0.85 else ""


def device_phrase(rng: random.Random, names) -> str:
    name = rng.choice(names)
    if rng.random() < 0.7:
        name = rng.choice(ROOMS) + " " + name
    return the(rng) + name


def command(rng: random.Random, extra_devices=()) -> str:
    lights = LIGHTS + list(extra_devices)
    switches = SWITCHES + list(extra_devices)
    k = rng.randrange(14)
    if k == 0:
        verb = rng.choice(["turn on", "switch on", "turn off", "switch off", "toggle", "power on",
                           "power off"])
        return f"{verb} {device_phrase(rng, lights + switches)}"
    if k == 1:
        verb = rng.choice(["turn", "switch"])
        return f"{verb} {device_phrase(rng, lights + switches)} {rng.choice(['on', 'off'])}"
    if k == 2:
        pct = rng.choice([rng.randrange(0, 101), rng.randrange(1, 11) * 10])
        return (f"set {device_phrase(rng, lights)} to {spell(pct)} percent")
    if k == 3:
        pct = rng.randrange(0, 101)
        verb = rng.choice(["dim", "brighten", "set"])
        return f"{verb} {device_phrase(rng, lights)} to {spell(pct)}" + \
            rng.choice(["", " percent"])
    if k == 4:
        return (f"{rng.choice(['dim', 'brighten'])} {device_phrase(rng, lights)}")
    if k == 5:
        t = rng.randrange(10, 31)
        thermo = rng.choice(["thermostat", "heating", "temperature"])
        room = rng.choice(ROOMS) + " " if rng.random() < 0.5 else ""
        return f"set {the(rng)}{room}{thermo} to {spell(t)}" + rng.choice(["", " degrees"])
    if k == 6:
        verb = rng.choice(["open", "close", "raise", "lower"])
        return f"{verb} {device_phrase(rng, COVERS + ['garage'])}"
    if k == 7:
        pos = rng.randrange(0, 101)
        return f"set {device_phrase(rng, COVERS)} to {spell(pos)} percent"
    if k == 8:
        speed = rng.choice(["low", "medium", "high", "off", "one", "two", "three"])
        return f"set {the(rng)}{rng.choice(ROOMS) + ' ' if rng.random() < .5 else ''}fan to " \
               f"{speed}" + ("" if speed in ("off",) or rng.random() < .5 else " speed")
    if k == 9:
        scene = rng.choice(SCENES)
        return rng.choice([f"activate {scene} scene", f"activate the {scene} scene",
                           f"scene {scene}", f"start {scene} scene", f"{scene} mode"])
    if k == 10:
        return f"is {device_phrase(rng, lights + switches)} {rng.choice(['on', 'off'])}"
    if k == 11:
        k2 = rng.choice(["warm", "cool", "cold", "warmer", "cooler", "daylight", "neutral"])
        return rng.choice([f"make {device_phrase(rng, lights)} {k2}",
                           f"set {device_phrase(rng, lights)} to {k2} white",
                           f"set {device_phrase(rng, lights)} color temperature to "
                           f"{spell(rng.randrange(2, 7) * 1000 + rng.choice([0, 500]))} kelvin"])
    if k == 12:
        return rng.choice(["stop", "cancel", "never mind", "nevermind", "stop that",
                           "cancel that", "turn on the lights", "turn off the lights",
                           "turn everything off", "lights on", "lights off", "all lights off"])
    return f"what is the temperature in the {rng.choice(ROOMS)}"


def general_english():
    """Sentences from the asterisk prompt transcripts (numbers spelled out)."""
    path = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
    out = []
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";") or ":" not in line:
                continue
            text = line.split(":", 1)[1].strip()
            if not text or text.startswith("["):
                continue
            text = re.sub(r"\[[^\]]*\]", " ", text)
            for part in re.split(r"(?<=[.?!])\s+", text):
                words = normalize(part)
                if 2 <= len(words.split()) <= 18:
                    out.append(words)
    for name in ["GPL-3", "GPL-2", "LGPL-3", "Apache-2.0", "MPL-2.0", "Artistic", "CC0-1.0",
                 "GFDL-1.3", "MPL-1.1", "BSD"]:
        try:
            with open("/usr/share/common-licenses/" + name, encoding="utf-8") as f:
                text = " ".join(f.read().split())
        except OSError:
            continue
        for part in re.split(r"(?<=[.?!;:,])\s+", text):
            words = normalize(part)
            if 3 <= len(words.split()) <= 16:
                out.append(words)
    return sorted(set(out))


def normalize(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("%", " percent ")
    text = re.sub(r"\d+", lambda m: " " + spell(int(m.group(0)) % 10000) + " ", text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    words = [w.strip("'") for w in text.split()]
    return " ".join(w for w in words if w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["train", "eval", "general"], required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.kind == "general":
        sents = general_english()
        rng.shuffle(sents)
        for s in sents[: args.n]:
            print(s)
        return
    for _ in range(args.n):
        if args.kind == "train":
            print(command(rng))
        else:
            # Half of the evaluation commands name a device never seen in training.
            print(command(rng, HELD_OUT_DEVICES if rng.random() < 0.5 else ()))


if __name__ == "__main__":
    sys.exit(main())
