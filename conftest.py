"""Project-wide test configuration: the deterministic `ci` Hypothesis profile unless told otherwise.

`--hypothesis-profile dev|deep` (Hypothesis's own option) or KUBEPROPS_PROFILE overrides it.
"""

import os

from hypothesis import settings

from kubeprops.properties.profiles import DEFAULT_PROFILE, ENV_VAR, register_profiles

register_profiles()
settings.load_profile(os.environ.get(ENV_VAR, DEFAULT_PROFILE))
