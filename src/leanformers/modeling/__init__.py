"""The torch model core, one concern a file:

- base.py: PreTrainedModel (build, initialise, tie, from_pretrained, save_pretrained)
- checkpoint.py: reading safetensors and torch pickle checkpoints
- report.py: the load report of from_pretrained
- inputs.py: the checks of a forward's inputs (clear errors before the model runs)
- layers.py: activations, embeddings, attention and masks every architecture uses
- losses.py: the task heads' losses
- cache.py: key/value caches and the causal mask of decoders
"""
