"""Whisper's language names and ISO codes: OpenAI's verbose_json says "english", we store "en"."""

from __future__ import annotations

#: Whisper's languages, ISO 639-1 (or -3) code -> lower-case English name.
LANGUAGES: dict[str, str] = {
    "en": "english", "zh": "chinese", "de": "german", "es": "spanish", "ru": "russian",
    "ko": "korean", "fr": "french", "ja": "japanese", "pt": "portuguese", "tr": "turkish",
    "pl": "polish", "ca": "catalan", "nl": "dutch", "ar": "arabic", "sv": "swedish",
    "it": "italian", "id": "indonesian", "hi": "hindi", "fi": "finnish", "vi": "vietnamese",
    "he": "hebrew", "uk": "ukrainian", "el": "greek", "ms": "malay", "cs": "czech",
    "ro": "romanian", "da": "danish", "hu": "hungarian", "ta": "tamil", "no": "norwegian",
    "th": "thai", "ur": "urdu", "hr": "croatian", "bg": "bulgarian", "lt": "lithuanian",
    "la": "latin", "mi": "maori", "ml": "malayalam", "cy": "welsh", "sk": "slovak",
    "te": "telugu", "fa": "persian", "lv": "latvian", "bn": "bengali", "sr": "serbian",
    "az": "azerbaijani", "sl": "slovenian", "kn": "kannada", "et": "estonian",
    "mk": "macedonian", "br": "breton", "eu": "basque", "is": "icelandic", "hy": "armenian",
    "ne": "nepali", "mn": "mongolian", "bs": "bosnian", "kk": "kazakh", "sq": "albanian",
    "sw": "swahili", "gl": "galician", "mr": "marathi", "pa": "punjabi", "si": "sinhala",
    "km": "khmer", "sn": "shona", "yo": "yoruba", "so": "somali", "af": "afrikaans",
    "oc": "occitan", "ka": "georgian", "be": "belarusian", "tg": "tajik", "sd": "sindhi",
    "gu": "gujarati", "am": "amharic", "yi": "yiddish", "lo": "lao", "uz": "uzbek",
    "fo": "faroese", "ht": "haitian creole", "ps": "pashto", "tk": "turkmen", "nn": "nynorsk",
    "mt": "maltese", "sa": "sanskrit", "lb": "luxembourgish", "my": "myanmar", "bo": "tibetan",
    "tl": "tagalog", "mg": "malagasy", "as": "assamese", "tt": "tatar", "haw": "hawaiian",
    "ln": "lingala", "ha": "hausa", "ba": "bashkir", "jw": "javanese", "su": "sundanese",
    "yue": "cantonese",
}  # fmt: skip

_CODES = {name: code for code, name in LANGUAGES.items()}
# Other spellings endpoints use for the same languages.
_CODES.update(
    {
        "burmese": "my", "valencian": "ca", "flemish": "nl", "haitian": "ht",
        "letzeburgesch": "lb", "pushto": "ps", "panjabi": "pa", "moldavian": "ro",
        "moldovan": "ro", "sinhalese": "si", "castilian": "es", "mandarin": "zh",
    }
)  # fmt: skip


def language_code(value: str | None) -> str | None:
    """An ISO code for a code or an English name ("English" -> "en"); None if unknown/empty."""
    if not value:
        return None
    key = value.strip().lower().replace("_", "-")
    if key in LANGUAGES:
        return key
    base = key.split("-", 1)[0]  # "en-us" -> "en"
    if base in LANGUAGES:
        return base
    return _CODES.get(key)
