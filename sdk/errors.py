"""The SDK's exceptions: one base, a subclass per kind of thing the user got wrong."""


class ArtifactSDKError(Exception):
    """Base of every error the SDK raises on purpose."""


class ImageDecodeError(ArtifactSDKError):
    """An image could not be read or is not a valid RGB picture."""


class InvalidInputError(ArtifactSDKError, ValueError):
    """An argument has the wrong type, shape, dtype or value (a ValueError too, as Python's own)."""


class BundleError(ArtifactSDKError):
    """A model bundle is missing, malformed, or fails verification."""


class DetectorClosedError(ArtifactSDKError):
    """A Detector was used after close()."""


class BackendUnavailableError(ArtifactSDKError):
    """The requested inference backend cannot run on this machine."""


class DatasetError(ArtifactSDKError):
    """A dataset folder or one of its files is missing or unreadable."""


class ExportError(ArtifactSDKError):
    """An export step failed (validation, calibration, accuracy gate)."""


class MissingDependencyError(ArtifactSDKError):
    """An optional dependency is not installed; the message names the one extra that brings
    it, installed from an index or from a clone (where the weights distribution lies in
    ./weights, beside the package)."""

    def __init__(self, module: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs the Python package '{module}', which is not installed. "
            f"Install it with: pip install 'artifactsdk[{extra}]' "
            f"(in a clone of the repository: pip install -c constraints.txt ./weights '.[{extra}]')")
        self.module = module
        self.extra = extra
