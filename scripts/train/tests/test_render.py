"""render.py speaks with the voice asked for: festival voices are named to text2wave (its default
is kal_diphone whatever was asked), so held-out festival voices are really held-out voices."""

import hashlib
import os
import random
import tempfile
import unittest

from earshot_train.asr.render import read_wav, tts


def digest(voice: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.wav")
        tts(voice, "turn on the kitchen light", random.Random(1), p)
        x = read_wav(p)
        return hashlib.sha1(x.tobytes()).hexdigest()


class FestivalVoices(unittest.TestCase):
    def test_each_festival_voice_renders_differently(self):
        kal = digest("festival:kal_diphone")
        ked = digest("festival:ked_diphone")
        hts = digest("festival:cmu_us_slt_arctic_hts")
        self.assertEqual(len({kal, ked, hts}), 3)

    def test_a_bad_voice_name_is_refused(self):
        with self.assertRaisesRegex(ValueError, "bad festival voice name"):
            tts("festival:kal; (quit)", "hello", random.Random(1), "/tmp/never.wav")


if __name__ == "__main__":
    unittest.main()
