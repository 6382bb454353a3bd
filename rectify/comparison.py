"""The side-by-side picture of a repair: input with overlay | repaired | repaired with overlay."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from artifactsdk.rectify.fix import FixResult


def comparison_image(result: FixResult, gap: int = 8) -> Image.Image:
    """Three panels with a caption strip above each: what was found, the repair, and what
    the detector still finds in the repair."""
    record = result.record
    panels = [
        (result.before.overlay(), f"input: artifacts on {record.area_before * 100:.1f} % of the image"),
        (Image.fromarray(result.image), f"repaired ({record.inpainter}, {len(record.rounds)} round(s))"),
        (result.after.overlay(), f"repaired: artifacts on {record.area_after * 100:.1f} % of the image"),
    ]
    width, height = panels[0][0].size
    font = ImageFont.load_default(size=max(12, width // 32))
    strip = font.size + 10
    sheet = Image.new("RGB", (3 * width + 2 * gap, height + strip), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for index, (panel, text) in enumerate(panels):
        left = index * (width + gap)
        sheet.paste(panel.resize((width, height)), (left, strip))
        draw.text((left + 4, 4), text, fill=(0, 0, 0), font=font)
    return sheet
