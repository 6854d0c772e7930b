"""The one exception of the cluster package: its message says what went wrong and how to fix it."""


class ControlPlaneError(RuntimeError):
    """Building, starting or stopping the local control plane failed; the message names the fix."""
