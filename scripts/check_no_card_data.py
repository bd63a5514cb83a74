#!/usr/bin/env python3
"""Fails when a test card number or CVV is found in the database or the log.

Usage: check_no_card_data.py DATABASE LOG CARD... --cvv CVV...

The database is read twice: as raw bytes (main file and write-ahead log),
for any card number; and value by value, for any column holding a CVV.
The log is searched for card numbers (with or without spaces) and for a
CVV next to a cvv/csc/cvc label.
"""
import glob
import re
import sqlite3
import sys


def main(argv):
    if "--cvv" not in argv or len(argv) < 4:
        print(__doc__)
        return 2
    split = argv.index("--cvv")
    database, log, cards, cvvs = argv[1], argv[2], argv[3:split], argv[split + 1:]
    problems = []
    forms = set()
    for card in cards:
        digits = re.sub(r"\D", "", card)
        forms.update({digits, " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))})

    raw = b"".join(open(path, "rb").read() for path in glob.glob(database + "*"))
    for form in forms:
        if form.encode() in raw:
            problems.append(f"card number {form[:6]}… found in the database files")

    connection = sqlite3.connect(database)
    tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    values = 0
    for table in tables:
        for row in connection.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                values += 1
                if isinstance(value, (str, bytes)):
                    text = value.decode(errors="replace") if isinstance(value, bytes) else value
                    if text.strip() in cvvs:
                        problems.append(f"a CVV found as a value in table {table}")
                    if any(form in text for form in forms):
                        problems.append(f"a card number found in table {table}")

    text = open(log, encoding="utf-8", errors="replace").read()
    for form in forms:
        if form in text:
            problems.append(f"card number {form[:6]}… found in the log")
    for cvv in cvvs:
        if re.search(rf"(?i)\b(cvv|csc|cvc)\b\W{{0,20}}{re.escape(cvv)}\b", text):
            problems.append("a CVV found in the log")

    if problems:
        print("card data leaked:\n  " + "\n  ".join(sorted(set(problems))))
        return 1
    print(f"no card data: {len(forms)} card number forms and {len(cvvs)} CVVs checked "
          f"against {values} database values, {len(raw)} database bytes and {len(text)} log bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
