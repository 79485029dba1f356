"""The oracle against hand-computed cases (the source material's worked
examples and the boundary rules written out by hand)."""

import numpy as np
import pytest

from fastconv import _oracle


def test_full_2x2_with_3x3_is_4x4():
    x = np.array([[1, 2], [3, 4]])
    k = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    out = _oracle.convolve(x, k, "full")
    assert out.shape == (4, 4)
    # Every input pixel scatters a scaled kernel copy at its position.
    expected = np.zeros((4, 4), int)
    for i in range(2):
        for j in range(2):
            expected[i : i + 3, j : j + 3] += x[i, j] * k
    np.testing.assert_array_equal(out, expected)
    assert out[0, 0] == 1 and out[0, 1] == 2 + 0 and out[3, 3] == -4


def test_valid_5x5_with_3x3_is_3x3():
    x = np.arange(25).reshape(5, 5)
    k = np.ones((3, 3), int)
    out = _oracle.convolve(x, k, "valid")
    assert out.shape == (3, 3)
    # Centre output: sum of the 3x3 block around x[2, 2].
    assert out[1, 1] == x[1:4, 1:4].sum() == 108
    assert out[0, 0] == x[0:3, 0:3].sum() == 54


@pytest.mark.parametrize("n1,n2", [(5, 3), (8, 2), (7, 7), (1, 1), (10, 4)])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_output_sizes(n1, n2, stride):
    x, k = np.ones(n1), np.ones(n2)
    assert len(_oracle.convolve(x, k, "full")) == n1 + n2 - 1
    assert len(_oracle.convolve(x, k, "same")) == n1
    assert len(_oracle.convolve(x, k, "valid", stride=stride)) == (n1 - n2) // stride + 1


def test_1d_convolution_by_hand():
    # (1, 2, 3) * (0, 1, 0.5): 0, 1, 2+0.5, 3+1, 1.5
    np.testing.assert_array_equal(_oracle.convolve([1, 2, 3], [0, 1, 0.5]), [0, 1, 2.5, 4, 1.5])
    # correlation does not flip: (1,2,3) x (1,10) -> 10, 21, 32, 3
    np.testing.assert_array_equal(_oracle.correlate([1, 2, 3], [1, 10]), [10, 21, 32, 3])


def test_correlation_conjugates_the_kernel():
    out = _oracle.correlate(np.array([1j]), np.array([1j]))
    assert out[0] == 1  # 1j * conj(1j)
    out = _oracle.correlate(np.array([1j]), np.array([1j]), conjugate=False)
    assert out[0] == -1


@pytest.mark.parametrize(
    "boundary,left,right",
    [
        ("fill", [None, None, None], [None, None, None]),
        ("wrap", [1, 2, 3], [0, 1, 2]),  # b c d | a b c d | a b c
        ("symm", [2, 1, 0], [3, 2, 1]),  # c b a | a b c d | d c b
        ("mirror", [3, 2, 1], [2, 1, 0]),  # d c b | a b c d | c b a
        ("nearest", [0, 0, 0], [3, 3, 3]),  # a a a | a b c d | d d d
    ],
)
def test_boundary_rules_by_hand(boundary, left, right):
    n = 4
    assert [_oracle.extend_index(t, n, boundary) for t in (-3, -2, -1)] == left
    assert [_oracle.extend_index(t, n, boundary) for t in (4, 5, 6)] == right


def test_boundary_repeats_past_one_width():
    # scipy gh-8684: a kernel much longer than the image.
    image = np.array([[2.0, -1.0, 3.0, 4.0]])
    kernel = np.ones((1, 21))
    np.testing.assert_array_equal(
        _oracle.convolve(image, kernel, "same", boundary="symm"), [[37, 42, 44, 45]]
    )
    np.testing.assert_array_equal(
        _oracle.convolve(image, kernel, "same", boundary="wrap"), [[43, 44, 42, 39]]
    )
    # mirror with a one-element input repeats that element.
    assert _oracle.extend_index(-7, 1, "mirror") == 0


def test_fill_value_and_stride_dilation_by_hand():
    x = [1, 2, 3, 4, 5]
    # full correlation with fill 10: first output sees (10, 1) under (1, 1)
    out = _oracle.correlate(x, [1, 1], "full", fillvalue=10)
    np.testing.assert_array_equal(out, [11, 3, 5, 7, 9, 15])
    # dilation 2: taps at 0 and 2 -> valid outputs x[i] + x[i+2]
    np.testing.assert_array_equal(_oracle.correlate(x, [1, 1], "valid", dilation=2), [4, 6, 8])
    # stride 2 keeps every other output, starting at the first
    np.testing.assert_array_equal(_oracle.correlate(x, [1, 1], "valid", stride=2), [3, 7])


def test_same_anchor_conventions():
    x = np.arange(1.0, 8.0)
    k = np.array([1.0, 10.0, 100.0, 1000.0])
    full = _oracle.convolve(x, k, "full")
    # scipy: start (ke-1)//2 = 1; MATLAB conv 'same': start ke//2 = 2
    np.testing.assert_array_equal(_oracle.convolve(x, k, "same"), full[1:8])
    np.testing.assert_array_equal(_oracle.convolve(x, k, "same", anchor="matlab"), full[2:9])
    # explicit tap a over each sample: out[i] = sum_p x[i + a - p] k[p]
    out = _oracle.convolve(x, k, "same", anchor=3)
    np.testing.assert_array_equal(out, full[3:10])
    fullc = _oracle.correlate(x, k, "full")
    # correlation, tap 0 over each sample: out[i] = sum_p x[i + p] k[p]
    np.testing.assert_array_equal(_oracle.correlate(x, k, "same", anchor=0), fullc[3:10])
