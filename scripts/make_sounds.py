"""Synthesize the TV's twelve sounds into ``winroom_desktop/assets/sounds/*.wav``.

Small bell/marimba-like tones (sine partials with soft attack and exponential decay), kept
between ~260 Hz and ~2.1 kHz so they sound pleasant on cheap TV speakers (little deep bass,
no harsh highs). Every sound is loudness-matched (same RMS over its active part) and its
peak kept below full scale (−1.5 dBFS). Deterministic: running it twice gives the same files.

    .venv/bin/python scripts/make_sounds.py
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 44100
OUT = Path(__file__).resolve().parent.parent / "winroom_desktop" / "assets" / "sounds"
TARGET_RMS_DBFS = -17.0
PEAK_LIMIT = 10 ** (-1.5 / 20)

# note names → Hz (equal temperament, A4 = 440)
_NAMES = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}


def hz(note: str) -> float:
    name, sharp, octave = note[0], note[1:-1] == "#", int(note[-1])
    semis = _NAMES[name] + (1 if sharp else 0) + 12 * (octave - 4)
    return 440.0 * 2 ** (semis / 12)


def tone(freq: float, dur: float, *, decay: float = 4.0, bright: float = 0.3) -> np.ndarray:
    t = np.arange(int(RATE * dur)) / RATE
    attack = np.minimum(1.0, t / 0.008)
    env = attack * np.exp(-decay * t)
    wave_ = (
        np.sin(2 * np.pi * freq * t)
        + bright * 0.5 * np.sin(2 * np.pi * 2 * freq * t) * np.exp(-2 * decay * t)
        + bright * 0.25 * np.sin(2 * np.pi * 3 * freq * t) * np.exp(-3 * decay * t)
    )
    return np.asarray(env * wave_)


def seq(notes: list[tuple[float, str, float]], total: float, **kw: float) -> np.ndarray:
    """``(start_s, note, duration_s)`` triples mixed into one buffer of ``total`` seconds."""
    out = np.zeros(int(RATE * total))
    for start, note, dur in notes:
        for n in note.split("+"):
            x = tone(hz(n), dur, **kw)
            i = int(RATE * start)
            end = min(len(out), i + len(x))
            out[i:end] += x[: end - i]
    return out


def arpeggio(notes: str, step: float, hold: float, **kw: float) -> tuple[list, float]:
    parts = notes.split()
    triples = [(i * step, n, hold) for i, n in enumerate(parts)]
    return triples, (len(parts) - 1) * step + hold


def shimmer(x: np.ndarray, amount: float = 0.25) -> np.ndarray:
    """A soft tremolo tail (for the celebratory sounds)."""
    t = np.arange(len(x)) / RATE
    return np.asarray(x * (1 - amount * 0.5 * (1 - np.cos(2 * np.pi * 7 * t))))


def build() -> dict[str, np.ndarray]:
    s: dict[str, np.ndarray] = {}
    s["notification"] = seq([(0, "E5", 0.35), (0.12, "B5", 0.4)], 0.55, decay=7)
    s["claim"] = seq([(0, "G5", 0.25), (0.08, "C6", 0.35)], 0.45, decay=9, bright=0.5)
    n, d = arpeggio("C5 E5 G5 C6 E6", 0.07, 0.5)
    s["streak"] = shimmer(seq(n, d + 0.25, decay=5, bright=0.4))
    n, d = arpeggio("C5 E5 G5 C6 E5 G5 C6 E6", 0.09, 0.6)
    n.append((d - 0.2, "C5+E5+G5+C6", 1.2))
    s["jackpot"] = shimmer(seq(n, d + 1.0, decay=2.6, bright=0.45), 0.35)
    s["member_mission"] = seq([(0, "D5", 0.4), (0.15, "F#5", 0.4), (0.3, "A5", 0.8)], 1.1, decay=4)
    s["team_mission"] = seq(
        [(0, "G4+B4", 0.5), (0.2, "D5", 0.5), (0.4, "G5+B5+D5", 1.2)], 1.6, decay=3
    )
    s["happy"] = seq(
        [
            (0, "C5", 0.3),
            (0.12, "D5", 0.3),
            (0.24, "E5", 0.3),
            (0.36, "G5", 0.3),
            (0.5, "E5+C6", 0.9),
        ],
        1.4,
        decay=4,
    )
    s["sales_4k"] = seq([(0, "A4", 0.5), (0.18, "E5", 0.9)], 1.0, decay=4)
    s["sales_8k"] = seq([(0, "A4", 0.4), (0.15, "C#5", 0.4), (0.3, "E5", 0.9)], 1.2, decay=4)
    s["sales_10k"] = shimmer(
        seq(
            [(0, "A4", 0.4), (0.13, "C#5", 0.4), (0.26, "E5", 0.4), (0.39, "A5", 1.1)],
            1.5,
            decay=3.5,
        )
    )
    s["team_30k"] = shimmer(
        seq([(0, "F4+A4", 0.6), (0.25, "C5+F5", 0.6), (0.5, "A5+C6", 1.3)], 1.9, decay=2.8)
    )
    s["team_40k"] = shimmer(
        seq(
            [(0, "F4+C5", 0.5), (0.2, "A4+F5", 0.5), (0.4, "C5+A5", 0.5), (0.6, "F5+C6+A5", 1.6)],
            2.3,
            decay=2.4,
        ),
        0.3,
    )
    return s


def finish(x: np.ndarray) -> np.ndarray:
    fade = int(RATE * 0.03)
    x = x.copy()
    x[-fade:] *= np.linspace(1, 0, fade)
    active = np.abs(x) > 1e-3 * np.abs(x).max()
    rms = np.sqrt(np.mean(x[active] ** 2))
    x *= 10 ** (TARGET_RMS_DBFS / 20) / rms
    peak = np.abs(x).max()
    if peak > PEAK_LIMIT:  # soft limit the first transient instead of lowering the loudness
        x = (
            np.tanh(x / PEAK_LIMIT * 0.9)
            * PEAK_LIMIT
            / np.tanh(0.9 * peak / PEAK_LIMIT)
            * (peak / PEAK_LIMIT)
        )
        x *= PEAK_LIMIT / max(PEAK_LIMIT, np.abs(x).max())
    return x


def write(path: Path, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, x in build().items():
        write(OUT / f"{name}.wav", finish(x))
        print(f"{name:15s} {len(x) / RATE:4.2f} s")


if __name__ == "__main__":
    main()
