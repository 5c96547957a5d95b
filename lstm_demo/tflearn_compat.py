"""Patches that let TFLearn 0.5.0, its last release (2020), import on current TensorFlow and Pillow.

Only the scripts in ``examples/`` use this module, each in its own process.
Nothing else in lstm_demo or the app may import it: ``import tflearn`` calls
``tf.compat.v1.disable_v2_behavior()``, which switches the whole process to
graph mode, and Keras 3 models then fail to train (``model.fit`` raises
"`tf.data.Dataset` only supports Python-style iteration in eager mode").

Usage, before the first ``import tflearn``::

    from lstm_demo import tflearn_compat
    tflearn_compat.install()
    import tflearn

Each patch only adds a name that TFLearn expects and leaves the library's
behaviour otherwise unchanged. Checked with TensorFlow 2.21, Keras 3.15,
Pillow 13 and NumPy 2.4 by running both tutorial scripts. TFLearn 0.5.0
already uses ``tensorflow.compat.v1`` throughout and turns on graph mode
itself, and its ``tf.contrib`` imports sit in fallbacks or in modules that
``import tflearn`` does not load (``tflearn.estimators``), so neither needs a
patch here. Parts of TFLearn that the tutorial does not use were not checked
and may still fail. One example is ``data_utils.string_to_semi_redundant_sequences``,
which uses ``np.bool``, removed in NumPy 1.24.
"""

from __future__ import annotations

import importlib.metadata
import warnings

PATCHED_TFLEARN_VERSION = "0.5.0"


def _alias_nest_is_sequence() -> bool:
    """Add ``tensorflow.python.util.nest.is_sequence`` as an alias of ``is_nested``.

    ``tflearn/layers/recurrent.py`` imports ``is_sequence`` at module level, so
    without it ``import tflearn`` raises ImportError. TensorFlow deprecated the
    name in favour of ``is_nested`` (same function, same result) and later
    removed it. TensorFlow 2.21 does not have it. Users reported the ImportError
    to TFLearn in June 2023 (issue tflearn/tflearn#1172), and a proposed fix
    there was tested with TensorFlow 2.14, so the removal came in 2.14 or earlier.
    """
    from tensorflow.python.util import nest

    if hasattr(nest, "is_sequence"):
        return False
    nest.is_sequence = nest.is_nested
    return True


def _alias_pillow_antialias() -> bool:
    """Add ``PIL.Image.ANTIALIAS`` as an alias of ``Image.Resampling.LANCZOS``.

    ``tflearn/data_utils.py`` uses ``Image.ANTIALIAS`` as a default argument,
    which is evaluated on import. The constant was an older name of the same
    Lanczos filter. Pillow 9.1.0 deprecated it and Pillow 10.0.0 removed it.
    """
    from PIL import Image

    if hasattr(Image, "ANTIALIAS"):
        return False
    Image.ANTIALIAS = Image.Resampling.LANCZOS
    return True


def install() -> list[str]:
    """Apply every patch that this TensorFlow and Pillow need, and return the names patched.

    Call it before the first ``import tflearn``. Calling it again does nothing.
    Raises ModuleNotFoundError when TFLearn is not installed, and warns when
    its version is not the one these patches were checked with.
    """
    try:
        installed = importlib.metadata.version("tflearn")
    except importlib.metadata.PackageNotFoundError as error:
        raise ModuleNotFoundError(
            f"tflearn is not installed: run `pip install tflearn=={PATCHED_TFLEARN_VERSION}`"
        ) from error
    if installed != PATCHED_TFLEARN_VERSION:
        warnings.warn(
            f"tflearn {installed} is installed, but lstm_demo.tflearn_compat was checked "
            f"with {PATCHED_TFLEARN_VERSION} only; `import tflearn` may still fail",
            stacklevel=2,
        )

    patched = []
    if _alias_nest_is_sequence():
        patched.append("tensorflow.python.util.nest.is_sequence")
    if _alias_pillow_antialias():
        patched.append("PIL.Image.ANTIALIAS")
    return patched
