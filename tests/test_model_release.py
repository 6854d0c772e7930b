"""Release switches per supported server version (fact sheet 7)."""

import pytest

from kubeprops.reference_model.release import DEFAULT, V1_35, Release, for_version


def test_default_is_v1_35_4_with_terminating_replicas():
    assert DEFAULT is V1_35
    expected = Release(
        "v1.35.4", terminating_replicas=True, logarithmic_scale_down=True, pod_deletion_cost=True
    )
    assert expected == V1_35


@pytest.mark.parametrize(
    ("version", "terminating"),
    [("v1.31.0", False), ("v1.32.5", False), ("v1.33.1", False), ("v1.34.2", False), ("v1.35.4", True)],
)
def test_switches_per_release(version, terminating):
    release = for_version(version)
    assert release.version == version
    assert release.terminating_replicas is terminating
    assert release.logarithmic_scale_down  # GA since 1.31
    assert release.pod_deletion_cost  # beta, on, since 1.22


@pytest.mark.parametrize("version", ["1.34", "v1.35.0-gke.1200", " v1.33.0+k3s1 "])
def test_accepts_common_version_spellings(version):
    assert for_version(version).version == version


@pytest.mark.parametrize("version", ["v1.30.9", "v1.36.0", "v2.0.0"])
def test_unsupported_versions_name_the_version_and_the_range(version):
    with pytest.raises(ValueError, match=r"v1\.31-v1\.35") as info:
        for_version(version)
    assert version in str(info.value)


@pytest.mark.parametrize("version", ["", "latest", "1"])
def test_unreadable_versions(version):
    with pytest.raises(ValueError, match="cannot read Kubernetes version"):
        for_version(version)
