"""The training corpus of whisper-micro.en: phrases, voices, splits, the speaking plan, features.

Everything here is a pure function of the seed, so `make fixture` rebuilds the same corpus and the
same batches on any machine with the same espeak-ng. The lab's 24 sentences and 5 grammar-error
sentences are never spoken here (they are the evaluation set), and HELD_OUT_VARIANTS and
HELD_OUT_ACCENTS are never heard in training (the unseen-voice test).
"""
import json
import os
import subprocess

import numpy as np

SAMPLE_RATE = 16000
WINDOW_S = 3.0                      # the model's audio window (preprocessor chunk_length)
N_SAMPLES = int(WINDOW_S * SAMPLE_RATE)
TS_STEP = 0.02                      # seconds per timestamp token

# (base, 3rd person singular, past, past participle, -ing)
VERBS = [
    ("work", "works", "worked", "worked", "working"), ("play", "plays", "played", "played", "playing"),
    ("walk", "walks", "walked", "walked", "walking"), ("talk", "talks", "talked", "talked", "talking"),
    ("listen", "listens", "listened", "listened", "listening"),
    ("watch", "watches", "watched", "watched", "watching"), ("be", "is", "was", "been", "being"),
    ("go", "goes", "went", "gone", "going"), ("eat", "eats", "ate", "eaten", "eating"),
    ("jump", "jumps", "jumped", "jumped", "jumping"), ("cook", "cooks", "cooked", "cooked", "cooking"),
    ("clean", "cleans", "cleaned", "cleaned", "cleaning"), ("open", "opens", "opened", "opened", "opening"),
    ("call", "calls", "called", "called", "calling"), ("help", "helps", "helped", "helped", "helping"),
    ("start", "starts", "started", "started", "starting"), ("stop", "stops", "stopped", "stopped", "stopping"),
    ("want", "wants", "wanted", "wanted", "wanting"), ("need", "needs", "needed", "needed", "needing"),
    ("like", "likes", "liked", "liked", "liking"), ("love", "loves", "loved", "loved", "loving"),
    ("move", "moves", "moved", "moved", "moving"), ("live", "lives", "lived", "lived", "living"),
    ("wait", "waits", "waited", "waited", "waiting"), ("ask", "asks", "asked", "asked", "asking"),
    ("learn", "learns", "learned", "learned", "learning"), ("look", "looks", "looked", "looked", "looking"),
    ("dance", "dances", "danced", "danced", "dancing"), ("run", "runs", "ran", "run", "running"),
    ("swim", "swims", "swam", "swum", "swimming"), ("sing", "sings", "sang", "sung", "singing"),
    ("write", "writes", "wrote", "written", "writing"), ("read", "reads", "read", "read", "reading"),
    ("see", "sees", "saw", "seen", "seeing"), ("come", "comes", "came", "come", "coming"),
    ("take", "takes", "took", "taken", "taking"), ("make", "makes", "made", "made", "making"),
    ("drink", "drinks", "drank", "drunk", "drinking"), ("sleep", "sleeps", "slept", "slept", "sleeping"),
    ("speak", "speaks", "spoke", "spoken", "speaking"), ("drive", "drives", "drove", "driven", "driving"),
    ("give", "gives", "gave", "given", "giving"), ("know", "knows", "knew", "known", "knowing"),
    ("think", "thinks", "thought", "thought", "thinking"), ("buy", "buys", "bought", "bought", "buying"),
    ("sit", "sits", "sat", "sat", "sitting"), ("stand", "stands", "stood", "stood", "standing"),
    ("fly", "flies", "flew", "flown", "flying"), ("do", "does", "did", "done", "doing"),
    ("have", "has", "had", "had", "having"), ("study", "studies", "studied", "studied", "studying"),
    ("try", "tries", "tried", "tried", "trying"),
]
PRONOUNS = ["I", "you", "he", "she", "it", "we", "they"]
THIRD = {"he", "she", "it"}

# espeak-ng accents and voice variants. Held-out ones are never in training.
ACCENTS = ["en-us", "en", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd"]
VARIANTS = ["", "m1", "m2", "m3", "m4", "m6", "m7", "f1", "f2", "f4", "f5", "klatt", "klatt2"]
HELD_OUT_ACCENTS = ["en-us-nyc"]
HELD_OUT_VARIANTS = ["f3", "m5"]
UNSEEN_VOICES = ["en-us+f3", "en+m5", "en-us-nyc", "en-gb-x-rp+f3", "en-us+m5"]


def conjugate(pronoun, verb, form):
    base, third, past, part, ing = verb
    if form == "infinitive":
        return f"to {base}"
    if base == "be" and form == "present_simple":
        return f"{pronoun} " + ("am" if pronoun == "I" else "is" if pronoun in THIRD else "are")
    if base == "be" and form == "past_simple":
        return f"{pronoun} " + ("was" if pronoun in THIRD or pronoun == "I" else "were")
    if form == "present_simple":
        return f"{pronoun} {third if pronoun in THIRD else base}"
    if form == "past_simple":
        return f"{pronoun} {past}"
    if form == "future":
        return f"{pronoun} will {base}"
    if form == "past_participle":
        return f"{pronoun} {'has' if pronoun in THIRD else 'have'} {part}"
    if form == "progressive":
        aux = "am" if pronoun == "I" else "is" if pronoun in THIRD else "are"
        return f"{pronoun} {aux} {ing}"
    raise ValueError(form)


FORMS = ["present_simple", "past_simple", "future", "past_participle", "progressive"]


def all_phrases():
    out = []
    for v in VERBS:
        out += [conjugate(p, v, f) for p in PRONOUNS for f in FORMS]
        out.append(conjugate(None, v, "infinitive"))
    return sorted(set(out))


def lab_sentences(clips_json):
    d = json.load(open(clips_json))
    return {c["sentence"] for c in d["clips"] + d["grammar_errors"]}


def phrase_split(clips_json, seed, held_out_fraction=0.08):
    """(train, held_out) phrases; the lab's 29 sentences are in neither."""
    lab = lab_sentences(clips_json)
    phrases = [p for p in all_phrases() if p not in lab]
    rng = np.random.default_rng([seed, 1])
    order = rng.permutation(len(phrases))
    n_held = int(round(held_out_fraction * len(phrases)))
    held = sorted(phrases[i] for i in order[:n_held])
    train = sorted(phrases[i] for i in order[n_held:])
    return train, held


def plan(clips_json, seed, n_train, n_val):
    """Plan rows (id, split, voice, rate, pitch, lead_ms, text) for train, val_seen
    (held-out phrases, training voices) and val_unseen (any phrase, held-out voices)."""
    train, held = phrase_split(clips_json, seed)
    rng = np.random.default_rng([seed, 2])
    rows = []

    def voice_from(accents, variants):
        a = accents[rng.integers(len(accents))]
        v = variants[rng.integers(len(variants))]
        return a + ("+" + v if v else "")

    def add(split, n, phrases, voice):
        for i in range(n):
            text = phrases[rng.integers(len(phrases))]
            rows.append((f"{split}{i:06d}", split, voice(), int(rng.integers(130, 221)),
                         int(rng.integers(30, 71)), int(rng.integers(0, 901)), text))

    add("train", n_train, train, lambda: voice_from(ACCENTS, VARIANTS))
    add("seen", n_val, held, lambda: voice_from(ACCENTS, VARIANTS))
    add("unseen", n_val, train + held, lambda: UNSEEN_VOICES[rng.integers(len(UNSEEN_VOICES))])
    return rows


def build_corpus(rows, make_corpus, out_dir, jobs=2):
    """Speaks the plan with the project's C generator (jobs processes); returns the corpus dict."""
    os.makedirs(out_dir, exist_ok=True)
    parts, procs = [], []
    for j in range(jobs):
        part = os.path.join(out_dir, f"part{j}")
        plan_text = "".join("\t".join([r[0], r[2], str(r[3]), str(r[4]), str(r[5]), r[6]]) + "\n"
                            for r in rows[j::jobs])
        old = open(part + ".plan").read() if os.path.exists(part + ".plan") else None
        if old != plan_text:  # a corpus spoken from another plan is never reused
            for ext in (".pcm", ".tsv"):
                if os.path.exists(part + ext):
                    os.remove(part + ext)
            with open(part + ".plan", "w") as f:
                f.write(plan_text)
        if not (os.path.exists(part + ".pcm") and os.path.exists(part + ".tsv")):
            procs.append(subprocess.Popen([make_corpus, part + ".plan", part]))
        parts.append(part)
    if any(p.wait() for p in procs):
        raise SystemExit("make_corpus failed")
    return load_corpus(rows, parts)


def load_corpus(rows, parts):
    by_id = {r[0]: r for r in rows}
    clips = {}
    for part in parts:
        pcm = np.fromfile(part + ".pcm", dtype=np.int16)
        for line in open(part + ".tsv"):
            cid, off, n, s0, s1, *words = line.rstrip("\n").split("\t")
            off, n, s0, s1 = int(off), int(n), int(s0), int(s1)
            words = [float(w) for w in words[0].split(",")] if words and words[0] else []
            if n > N_SAMPLES:  # longer than the window: left out (deterministically)
                continue
            clips[cid] = dict(row=by_id[cid], pcm=pcm[off:off + n], start=s0 / SAMPLE_RATE,
                              end=s1 / SAMPLE_RATE, words=words)
    return clips


def log_mel(audio, mel_filters, torch):
    """Batch log-mel [B, 80, 300] of float32 audio [B, N_SAMPLES], HF WhisperFeatureExtractor's
    formula (periodic Hann 400, hop 160, power, Slaney mel, log10, max-8 floor, (x+4)/4)."""
    window = torch.hann_window(400)
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)
    power = stft[..., :-1].abs() ** 2
    mel = torch.clamp(mel_filters.T @ power, min=1e-10).log10()
    mel = torch.maximum(mel, mel.amax(dim=(1, 2), keepdim=True) - 8.0)
    return (mel + 4.0) / 4.0
