import pytest
import torch
import torch.nn.functional as F

from nasforge.vision.data import BatchAugment


def _images(batch: int = 16, size: int = 12) -> torch.Tensor:
    return torch.randint(0, 256, (batch, 3, size, size), generator=torch.Generator().manual_seed(0)).to(
        torch.uint8
    )


def test_eval_mode_only_normalises():
    aug = BatchAugment(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.5)).eval()
    x = _images()
    out = aug(x)
    expected = (x.float() / 255 - torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1)) / torch.tensor(
        [0.2, 0.25, 0.5]
    ).view(1, 3, 1, 1)
    assert out.dtype == torch.float32 and out.shape == x.shape
    torch.testing.assert_close(out, expected)


def test_training_keeps_shape_and_dtype_and_is_reproducible():
    aug = BatchAugment(cutout=4, channels_last=True)
    x = _images()
    a = aug(x, generator=torch.Generator().manual_seed(3))
    b = aug(x, generator=torch.Generator().manual_seed(3))
    c = aug(x, generator=torch.Generator().manual_seed(4))
    assert a.shape == x.shape and a.dtype == torch.float32
    assert a.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_flip_mirrors_about_half_of_the_images():
    aug = BatchAugment(padding=0, flip=True, mean=(0, 0, 0), std=(1, 1, 1))
    x = _images(batch=64)
    out = aug(x, generator=torch.Generator().manual_seed(0))
    base = x.float() / 255
    same = (out == base).flatten(1).all(1)
    mirrored = (out == base.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 16 < int(mirrored.sum()) < 48


def test_crop_is_a_window_of_the_zero_padded_image():
    aug = BatchAugment(padding=4, flip=False, mean=(0, 0, 0), std=(1, 1, 1))
    x = _images(batch=32, size=10)
    out = aug(x, generator=torch.Generator().manual_seed(1))
    padded = F.pad(x.float() / 255, (4, 4, 4, 4))
    offsets = []
    for i in range(len(x)):
        found = [
            (dy, dx)
            for dy in range(9)
            for dx in range(9)
            if torch.equal(out[i], padded[i, :, dy : dy + 10, dx : dx + 10])
        ]
        assert found, f"image {i} is not a window of its padded input"
        offsets.append(found[0])
    assert len(set(offsets)) > 5
    assert any(dy != 4 or dx != 4 for dy, dx in offsets)


def test_cutout_zeroes_one_square():
    aug = BatchAugment(padding=0, flip=False, cutout=6, mean=(0, 0, 0), std=(1, 1, 1))
    x = torch.ones(32, 3, 16, 16)
    out = aug(x, generator=torch.Generator().manual_seed(2))
    zeros = out == 0
    assert bool((zeros.all(1) | ~zeros.any(1)).all())  # all channels together
    full = 0
    for mask in zeros[:, 0]:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        assert len(rows) and len(rows) <= 6 and len(cols) <= 6
        box = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert bool(box.all()) and int(mask.sum()) == box.numel()  # one filled rectangle
        full += int(mask.sum()) == 36
    assert full > 0  # squares away from the border are whole
    assert torch.equal(out[~zeros], torch.ones(int((~zeros).sum())))


def test_bad_settings_and_inputs_are_rejected():
    with pytest.raises(ValueError, match="padding and cutout must be >= 0"):
        BatchAugment(padding=-1)
    with pytest.raises(ValueError, match="std > 0"):
        BatchAugment(std=(0.0, 1.0, 1.0))
    with pytest.raises(ValueError, match=r"expected \[B, 3, H, W\]"):
        BatchAugment()(torch.zeros(2, 1, 8, 8))
