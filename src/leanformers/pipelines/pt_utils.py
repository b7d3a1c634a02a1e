"""Dataset wrappers a pipeline streams over, as transformers.pipelines.pt_utils has them.

`pipe(KeyDataset(dataset, "text"))` runs the pipeline on each row's "text" and returns an iterator of results,
answered as it is read.
"""

from ..utils.backends import import_torch

torch = import_torch("KeyDataset")


class KeyDataset(torch.utils.data.Dataset):
    """The `key` field of each item of `dataset` (a 🤗 Datasets dataset, a list of dicts, ...).

    >>> from leanformers.pipelines.pt_utils import KeyDataset
    >>> rows = KeyDataset([{"text": "a", "label": 0}, {"text": "b", "label": 1}], "text")
    >>> len(rows), rows[1]
    (2, 'b')
    """

    def __init__(self, dataset, key):
        self.dataset = dataset
        self.key = key

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return self.dataset[i][self.key]
