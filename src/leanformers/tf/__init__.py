"""The TensorFlow side of leanformers: Keras 3 twins of the PyTorch models, which need TensorFlow.

Each file mirrors a torch one: modeling.py is modeling/base.py (TFPreTrainedModel: loading, saving, from_pt),
layers.py and heads.py are the shared layers and task-head parts (modeling/layers.py, modeling/losses.py),
auto.py is models/auto.py (TFAutoModel...), and bert.py, distilbert.py, roberta.py are the architectures'
twins, which their model modules in models/ declare as "tf_module". What both sides must agree on (activation
names, checkpoint renames, error texts) is in conventions.py.

tf_model.h5 and its weight names are read and written by modeling/h5_weights.py, which needs only numpy and
h5py: PyTorch models read those files with `from_tf=True` without TensorFlow, and without importing from here.
"""
