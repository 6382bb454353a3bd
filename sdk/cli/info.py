"""`artifactsdk info`."""

from __future__ import annotations

import json

import click

from artifactsdk.environment import environment


@click.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def info(as_json: bool) -> None:
    """Versions, execution providers and CPU features of this machine."""
    env = environment()
    if as_json:
        click.echo(json.dumps(env, indent=2))
        return
    cpu = env["cpu"]
    click.echo(f"artifactsdk  {env['artifactsdk']}  (Python {env['python']}, {env['platform']})")
    click.echo(f"numpy        {env['numpy']}")
    click.echo(f"onnxruntime  {env['onnxruntime']['version']}  "
               f"providers: {', '.join(env['onnxruntime']['providers'])}")
    for name, status in env["optional"].items():
        state = status.get("version") if status["available"] else f"missing ({status['reason']})"
        click.echo(f"{name:<12} {state}")
    click.echo(f"cpu          {cpu['model']}, {cpu['logical_cores']} logical cores, "
               f"AVX2 {_yes(cpu['avx2'])}, AVX-512 {_yes(cpu['avx512'])}, VNNI {_yes(cpu['vnni'])}")
    click.echo(f"int8 kernels {cpu['int8_kernel_path']}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
