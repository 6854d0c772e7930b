"""The pytest plugin as another project uses it (pytester runs a separate pytest session)."""

pytest_plugins = ["pytester"]


def test_fixture_and_header(pytester):
    pytester.makepyfile(
        """
        from hypothesis import settings
        from kubeprops.properties import run_conformance

        def test_simulator_conforms(kubeprops_adapter_factory):
            report = run_conformance(
                kubeprops_adapter_factory, controllers=["replicaset"], settings=settings(max_examples=2)
            )
            assert report.passed, report.text()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["kubeprops *: reference model Kubernetes v1.35.4, adapter simulator"])


def test_profiles_are_registered_for_hypothesis_option(pytester):
    pytester.makepyfile(
        """
        from hypothesis import settings

        def test_profile():
            assert settings.default.max_examples == 1000
        """
    )
    result = pytester.runpytest_subprocess("--hypothesis-profile", "deep")
    result.assert_outcomes(passed=1)


def test_unknown_adapter_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x(kubeprops_adapter_factory):\n    pass\n")
    result = pytester.runpytest_subprocess("--kubeprops-adapter", "nope")
    result.stdout.fnmatch_lines(["*unknown adapter 'nope'*"])
    assert result.ret != 0
