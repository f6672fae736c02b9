"""Import published arena vote logs and export stored votes (JSON, JSONL, CSV, Parquet)."""

from modelarena.io.errors import VoteLogError
from modelarena.io.exporters import export_file
from modelarena.io.formats import FORMAT_CHOICES, Format, detect_format
from modelarena.io.importer import ImportReport, import_file

__all__ = [
    "FORMAT_CHOICES",
    "Format",
    "ImportReport",
    "VoteLogError",
    "detect_format",
    "export_file",
    "import_file",
]
