"""The fixed parts of an .xlsx package: content types, relationships, workbook, styles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Any constant keeps the package byte-identical; the dataset's identity is on the About sheet.
FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"

# XML 1.0 cannot carry these characters at all, escaped or not (tab, LF and CR it can).
INVALID_XML_PY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

STYLE_DEFAULT = 0
STYLE_HEADER = 1
STYLE_DATE = 2
STYLE_DATETIME = 3
STYLE_WRAP = 4
FIRST_DECIMAL_STYLE = 5
MAX_DECIMAL_SCALE = 15  # Excel shows at most 15 significant digits anyway


def xml_safe(text: str) -> str:
    """Text without the characters XML 1.0 cannot carry."""
    return INVALID_XML_PY.sub("", text)


def decimal_style(scale: int) -> int:
    """The cell style that shows exactly ``scale`` digits after the point."""
    return FIRST_DECIMAL_STYLE + min(max(scale, 0), MAX_DECIMAL_SCALE)


def styles_xml() -> str:
    """Styles: default, bold header, date, date-time, wrapped text, one per decimal scale."""
    formats = [
        '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>',
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>',
    ]
    xfs = [
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>',
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
        '<alignment vertical="top" wrapText="1"/></xf>',
    ]
    for scale in range(MAX_DECIMAL_SCALE + 1):
        code = "0" if scale == 0 else "0." + "0" * scale
        num_fmt_id = 166 + scale
        formats.append(f'<numFmt numFmtId="{num_fmt_id}" formatCode="{code}"/>')
        xfs.append(
            f'<xf numFmtId="{num_fmt_id}" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/>'
        )
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
    return (
        f'{XML_DECL}<styleSheet xmlns="{MAIN_NS}">'
        f'<numFmts count="{len(formats)}">{"".join(formats)}</numFmts>'
        f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetEntry:
    """A worksheet of the package, with what the workbook part needs to know about it."""

    name: str
    filter_ref: str | None = None  # e.g. "A1:H101" when the sheet has an autofilter


@dataclass
class Package:
    """Builds the parts that list the worksheets, once all of them are written."""

    title: str
    sheets: list[SheetEntry] = field(default_factory=list)

    def sheet_path(self, number: int) -> str:
        return f"xl/worksheets/sheet{number}.xml"

    def content_types(self) -> str:
        sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        overrides = "".join(
            f'<Override PartName="/{self.sheet_path(n)}" ContentType="{sheet}"/>'
            for n in range(1, len(self.sheets) + 1)
        )
        return (
            f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}"
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        )

    def root_rels(self) -> str:
        base = "http://schemas.openxmlformats.org"
        return (
            f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{base}/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{base}/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{base}/officeDocument/2006/relationships/'
            'extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )

    def workbook_rels(self) -> str:
        base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        rels = [
            f'<Relationship Id="rId{n}" Type="{base}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self.sheets) + 1)
        ]
        rels.append(
            f'<Relationship Id="rId{len(self.sheets) + 1}" Type="{base}/styles" '
            'Target="styles.xml"/>'
        )
        return f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}">{"".join(rels)}</Relationships>'

    def workbook(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(xml_safe(s.name))} sheetId="{n}" r:id="rId{n}"/>'
            for n, s in enumerate(self.sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
            f"{escape(quoted_sheet_name(xml_safe(s.name)))}!{absolute_ref(s.filter_ref)}</definedName>"
            for n, s in enumerate(self.sheets)
            if s.filter_ref
        )
        defined = f"<definedNames>{names}</definedNames>" if names else ""
        return (
            f'{XML_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>{defined}</workbook>"
        )

    def core_properties(self) -> str:
        return (
            f"{XML_DECL}<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(xml_safe(self.title))}</dc:title><dc:creator>datagen-lti</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_TIMESTAMP}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_TIMESTAMP}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def app_properties(self) -> str:
        return (
            f"{XML_DECL}<Properties xmlns="
            '"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>datagen-lti</Application></Properties>"
        )


def quoted_sheet_name(name: str) -> str:
    """'Sheet name' as formulas and defined names spell it."""
    return "'" + name.replace("'", "''") + "'"


def absolute_ref(ref: str) -> str:
    """Make a range absolute: A1:H10 -> $A$1:$H$10."""
    cells = []
    for cell in ref.split(":"):
        letters = "".join(ch for ch in cell if ch.isalpha())
        cells.append(f"${letters}${cell[len(letters) :]}")
    return ":".join(cells)
