"""The Deployment controller, split by concern like upstream's pkg/controller/deployment.

`util` (surge/unavailable, hashing, conditions), `sync` (new RS, proportional scaling, history,
status), `rolling`, `recreate`, `progress`, and `controller` (handlers, queue, dispatch).
"""

from .controller import DeploymentController

__all__ = ["DeploymentController"]
