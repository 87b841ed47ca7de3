"""QR codes of payment URIs, decoded back with a real QR decoder (ZXing-C++)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from coinpos.payment_uri import MAX_UINT256, parse_payment_uri, token_payment_uri
from coinpos.qr import (
    QrError,
    make_qr,
    png_bytes,
    svg_bytes,
    write_png,
    write_svg,
)
from tests.offchain.payments._png import read_png_grey
from tests.offchain.payments._svg import (
    modules_to_image,
    render_on_page,
    svg_background,
    svg_modules,
)

TOKEN = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
SHOP = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
URI = token_payment_uri(TOKEN, SHOP, 12_345 * 10**16, chain_id=11155111, gas_limit=65_000)


def decode_png(data: bytes) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(read_png_grey(data), formats=zxingcpp.BarcodeFormat.QRCode)


def test_png_file__decodes_to_the_same_uri(tmp_path):
    path = write_png(URI, tmp_path / "out" / "invoice.png")

    [barcode] = decode_png(path.read_bytes())
    assert barcode.text == URI
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.ec_level in {"M", "Q", "H"}
    assert parse_payment_uri(barcode.text) == parse_payment_uri(URI)


@pytest.mark.parametrize("error", ["L", "M", "Q", "H"])
def test_png_bytes__decode_at_every_error_level(error):
    [barcode] = decode_png(png_bytes(URI, error=error, scale=3))

    assert barcode.text == URI
    assert "LMQH".index(barcode.ec_level) >= "LMQH".index(error)


def test_png__has_the_requested_size_and_quiet_zone():
    symbol = make_qr(URI)
    modules = len(symbol.matrix)
    image = read_png_grey(png_bytes(URI, scale=5, border=4))

    assert image.shape == ((modules + 8) * 5, (modules + 8) * 5)
    assert set(np.unique(image).tolist()) == {0, 255}
    assert (image[:20, :] == 255).all()
    assert (image[:, -20:] == 255).all()
    assert image[20, 20] == 0  # top-left corner of the finder pattern


def test_qr__is_a_regular_qr_code_at_level_m_or_better():
    symbol = make_qr("ethereum:" + SHOP)

    assert not symbol.is_micro
    assert symbol.error in {"M", "Q", "H"}


@settings(max_examples=25, deadline=None)
@given(
    st.binary(min_size=20, max_size=20),
    st.integers(min_value=0, max_value=MAX_UINT256),
    st.none() | st.integers(min_value=1, max_value=2**64),
)
def test_png__random_payment_uris_decode_exactly(raw_recipient, amount, chain_id):
    uri = token_payment_uri(TOKEN, "0x" + raw_recipient.hex(), amount, chain_id=chain_id)

    [barcode] = decode_png(png_bytes(uri, scale=2))
    assert barcode.text == uri


def test_svg__is_a_well_formed_svg_of_the_right_size(tmp_path):
    modules = len(make_qr(URI).matrix)
    path = write_svg(URI, tmp_path / "invoice.svg", scale=6, border=4)

    root = ET.fromstring(path.read_bytes())
    assert path.read_bytes() == svg_bytes(URI, scale=6, border=4)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.attrib["width"]) == (modules + 8) * 6
    assert int(root.attrib["height"]) == (modules + 8) * 6
    assert root.find(".//{http://www.w3.org/2000/svg}path") is not None


def test_svg__draws_exactly_the_modules_of_the_symbol():
    symbol = make_qr(URI)
    expected = np.pad(np.array(symbol.matrix, dtype=np.uint8), 4)

    assert np.array_equal(svg_modules(svg_bytes(URI, scale=6, border=4)), expected)


def test_svg__rasterized__decodes_to_the_same_uri():
    image = modules_to_image(svg_modules(svg_bytes(URI)))

    [barcode] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert barcode.text == URI


DARK_PAGE = 0  # a black page: dark-mode pages come close


def test_svg__has_an_opaque_white_background_over_the_quiet_zone():
    data = svg_bytes(URI, scale=6, border=4)

    assert svg_background(data) == 255
    image = render_on_page(data, page=DARK_PAGE, pixels=1)
    border = 4
    assert (image[:border, :] == 255).all() and (image[-border:, :] == 255).all()
    assert (image[:, :border] == 255).all() and (image[:, -border:] == 255).all()
    assert set(np.unique(image).tolist()) == {0, 255}


def test_svg__on_a_dark_page__still_decodes():
    image = render_on_page(svg_bytes(URI), page=DARK_PAGE)

    [barcode] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert barcode.text == URI


def test_transparent_svg__on_a_dark_page__does_not_decode():
    """Positive control: the check above finds a transparent SVG unreadable on a dark page."""
    buffer = io.BytesIO()
    segno.make(URI, error="M", micro=False).save(buffer, kind="svg", scale=8, border=4)
    transparent = buffer.getvalue()

    assert svg_background(transparent) is None
    image = render_on_page(transparent, page=DARK_PAGE)
    assert zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) == []
    # The same SVG on a white page decodes: only the background was missing.
    [barcode] = zxingcpp.read_barcodes(render_on_page(transparent, page=255))
    assert barcode.text == URI


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "bad scale 0"),
        ({"scale": 1.5}, "bad scale 1.5"),
        ({"border": -1}, "bad border -1"),
        ({"error": "X"}, "bad error correction level 'X'"),
    ],
)
def test_png_bytes__bad_options__are_rejected(kwargs, message):
    with pytest.raises(QrError, match=message):
        png_bytes(URI, **kwargs)


def test_make_qr__empty_text__is_rejected():
    with pytest.raises(QrError, match="empty text"):
        make_qr("")


def test_make_qr__text_too_long_for_a_qr_code__is_rejected():
    with pytest.raises(QrError, match="does not fit in a QR code"):
        make_qr("ethereum:" + "a" * 3000 + ".eth", error="H")
