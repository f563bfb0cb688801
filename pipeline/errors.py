"""The pipeline's exceptions: each names the file (and page) it is about."""


class PipelineError(Exception):
    """Base class: a failure the user can act on, shown as one line."""


class DownloadError(PipelineError):
    """The document could not be fetched or the bytes fetched are not acceptable."""


class ExtractError(PipelineError):
    """The PDF could not be read, or its table is not where or what we expect."""


class RepairError(PipelineError):
    """A cell's text cannot be turned into a value (a title cell without a URL, say)."""


class NormalizeError(PipelineError):
    """A value cannot be normalized: an unparseable date, a missing document date."""


class TablesError(PipelineError):
    """The normalized documents cannot make one set of tables (two with one name)."""


class ValidationError(PipelineError):
    """The finished table breaks the declared schema or a data rule."""


class CheckError(PipelineError):
    """The outputs differ from the golden fixtures."""


class DiffError(PipelineError):
    """Two versions of the table cannot be compared: a side is missing or not disclosures."""
