"""The lesson executor gives each kernel a reader's environment."""

from course_site.lessons import kernel_environment


def test_a_kernel_does_not_inherit_the_builders_device_flags():
    builder = {
        "HOME": "/root",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2 --xla_dump_to=/tmp/x "
        "--xla_cpu_enable_concurrency_optimized_scheduler=false",
    }
    env = kernel_environment(builder)
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/x"
    assert env["HOME"] == "/root"
    assert builder["XLA_FLAGS"].startswith("--xla_force_host")  # the caller's dict untouched
    assert "XLA_FLAGS" not in kernel_environment(
        {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    )
