"""Optional dependencies stay optional: rcan works without onnx, the ONNX runtime without torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    sys.modules["onnx"] = None          # as if not installed: importing them raises
    sys.modules["onnxruntime"] = None
    import rcan, rcan.transfer
    import rcan.transfer.onnx_policy
    assert "torch" not in sys.modules, "the ONNX runtime imported torch"
    from rcan.common.errors import RcanError
    from rcan.transfer import OnnxGraspPolicy
    try:
        OnnxGraspPolicy("policy.onnx", None)
    except RcanError as err:
        assert "pip install 'rcan[export]'" in str(err), err
    else:
        raise AssertionError("no error without onnxruntime")
    from rcan.transfer import GraspPolicy  # torch side, no onnx needed
    print("ok")
""")


def test_imports_without_onnx_and_runtime_without_torch() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")
