"""TensorFlow and Keras as the TF models need them: Keras 3 on its TensorFlow backend.

Every TF model file takes `tf` and `keras` from here, so a missing or unsuitable install always fails with
these errors, on first use of a TF name (never on `import leanformers`).
"""

try:
    import tensorflow as tf
except ImportError:
    raise ImportError("The TF models of leanformers need TensorFlow, which is not installed. Install it with: "
                      "pip install 'leanformers[tf]' (or: pip install tensorflow-cpu).") from None
import keras

if int(keras.__version__.split(".")[0]) < 3:
    raise ImportError(f"The TF models of leanformers need Keras 3 (TensorFlow 2.16 or newer), but Keras "
                      f"{keras.__version__} is installed. Upgrade with: pip install 'leanformers[tf]'.")
if keras.backend.backend() != "tensorflow":
    raise ImportError(f"The TF models of leanformers need Keras' TensorFlow backend, but KERAS_BACKEND is "
                      f"{keras.backend.backend()!r}; unset it or set KERAS_BACKEND=tensorflow.")

__all__ = ["keras", "tf"]
