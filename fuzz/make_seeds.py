#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/ (kept in the
repository; libFuzzer's growing corpus goes to fuzz/corpus/, which is not). Run it again
after changing a seed; CI fuzzes from these seeds."""

import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "seeds", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


HEADER = ("so_dinh_danh,cmnd_cu,ho_ten,ngay_sinh,gioi_tinh,noi_dang_ky_khai_sinh,que_quan,"
          "dan_toc,ton_giao,quoc_tich,thuong_tru_ma_xa,thuong_tru_dia_chi,so_ho,quan_he_chu_ho\n")
ROWS = [
    "042090001234,123456789,Nguyễn Văn An,05/03/1990,Nam,42,42,Kinh,Không,VNM,18073,\"Số 5, Hà Huy Tập\",HK001,Chủ hộ\n",
    "042185004321,,Nguyễn Thị Bình,1985,Nữ,42,42,01,00,VNM,18073,Tổ 3,HK001,Vợ\n",
    "042092005555,,=1+1,03/1992,Nam,42,,Kinh,Không,VNM,18073,Tổ 3,,\n",
]
write("import_csv", "forms.csv", HEADER + "".join(ROWS))
write("import_csv", "semicolons.csv", "\ufeff" + (HEADER + ROWS[0]).replace(",", ";"))
write("import_csv", "unterminated.csv", HEADER + "042090001234,\"Nguyễn\n")


def workbook(cells, shared=None, dimension="A1:C2"):
    """A minimal XLSX: `cells` is the sheet's row XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                   '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                   '</Relationships>')
        strings = shared or ["so_dinh_danh", "ho_ten", "ngay_sinh", "Nguyễn Văn An"]
        z.writestr("xl/sharedStrings.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
        z.writestr("xl/worksheets/sheet1.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   f'<dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>')
    return out.getvalue()


ROW1 = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
ROW2 = ('<row r="2"><c r="A2"><v>42090001234</v></c><c r="B2" t="s"><v>3</v></c>'
        '<c r="C2" s="0"><v>32937</v></c></row>')
write("import_xlsx", "forms.xlsx", workbook(ROW1 + ROW2))
write("import_xlsx", "inline-and-formula.xlsx", workbook(
    ROW1 + '<row r="2"><c r="A2" t="inlineStr"><is><t>042090001234</t></is></c>'
    '<c r="B2"><f>1+1</f><v>2</v></c><c r="C2" t="e"><v>#REF!</v></c></row>'))
# The header cell that once made the reader allocate for billions of columns.
write("import_xlsx", "far-column.xlsx", workbook(ROW1.replace('r="C1"', 'r="ZZZZZZZ1"')))

write("personal_id", "id", "042090001234")
write("personal_id", "date", "05/03/1990")
write("personal_id", "month", "03/1992")
write("mrz", "td1", "IDVNM0900012349042090001234<<<\n9003054M3103054VNM<<<<<<<<<<<6\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<\n")
write("card_codes", "receipt", "CAX-18073-20210316-00042")
write("card_codes", "unit", "CAH-436")
write("card_codes", "clock", "07:30")
write("card_codes", "qr", "042090001234|123456789|Nguyễn Văn An|05031990|Nam|Số 5, Hà Huy Tập, Phường Nam Hà|16032021")
# A JPEG's first bytes (SOI, APP0 JFIF, a baseline SOF0 of 480 x 640) and a PNG header.
write("biometrics", "jpeg-head", bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffc0001108028001e003012200021101031101ffd9"))
write("biometrics", "png-head", bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000001e00000028008020000000000000049454e44ae426082"))


# JSON bodies: an application with a (tiny, refused) portrait, biometrics, decisions.
write("json_bodies", "application.json",
      '{"personal_id": "042090001234", "type": "first_issuance", "channel": "fixed", '
      '"intake_date": "2021-03-16", "station": "CA phường Bắc Hà", "identifying_marks": "Nốt ruồi", '
      '"old_card_returned": true, "idempotency_key": "k-1", '
      '"biometrics": {"portrait": "/9j/4AAQSkZJRgABAQ==", "fingerprints": ["iVBORw0KGgo="], '
      '"missing": [{"finger": 2, "reason": "amputated"}]}}')
write("json_bodies", "decision-correct.json",
      '{"action": "correct", "fields": {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "05/03/1990"}}')
write("json_bodies", "decision-reject.json", '{"action": "reject", "reason": "trùng hồ sơ"}')
write("json_bodies", "nested.json", "[" * 200 + "]" * 200)

# A station's enrolment request (keys in base64) and a station envelope: a packet's frame
# with an unchecked signature, then a packet's decrypted plaintext (JSON length, JSON).
write("json_bodies", "station_request.json",
      '{"name":"Tổ lưu động số 1","unit":"CAH-436",'
      '"signing_key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",'
      '"agreement_key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"}')
body = b"sealed application"
write("station_envelope", "packet.bin",
      b"CCSE" + bytes([1, 1]) + bytes([7] * 16) + bytes([9] * 16)
      + (1617235200000000).to_bytes(8, "big") + (0).to_bytes(8, "big")
      + len(body).to_bytes(8, "big") + body + bytes(64))
plain = ('{"format":"cancuoc-station-packet/1","packet":"01010101-0101-0101-0101-010101010101",'
         '"station":"01010101-0101-0101-0101-010101010101","officer":"hoa.pt","made_micros":0,'
         '"register_version":1,"intake":{"personal_id":"042090001234","kind":"cmnd_switch",'
         '"reason":null,"identifying_marks":null,"exemption":null,"old_card_returned":true}}').encode()
write("station_envelope", "packet-plain.bin", len(plain).to_bytes(4, "big") + plain)
