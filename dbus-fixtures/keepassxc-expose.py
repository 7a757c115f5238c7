#!/usr/bin/python3
# Marks the root group of a KeePassXC database, exported as XML by `keepassxc-cli export -f xml`,
# as the group KeePassXC exposes over the Secret Service.
#
#   keepassxc-expose.py FILE.xml      (rewrites FILE.xml in place)
#
# KeePassXC keeps the exposed group's UUID inside the database, in the Meta/CustomData entry
# FDO_SECRETS_EXPOSED_GROUP, and keepassxc-cli has no option to set it; a database without it
# exposes no collection at all. `keepassxc-cli import` turns the edited XML back into a database.
import base64
import re
import sys
import uuid

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    xml = f.read()
match = re.search(r"<Root>\s*<Group>\s*<UUID>([^<]+)</UUID>", xml)
if match is None:
    sys.exit(f"{path}: no root group found")
root = uuid.UUID(bytes=base64.b64decode(match.group(1)))
entry = (
    "<CustomData><Item><Key>FDO_SECRETS_EXPOSED_GROUP</Key>"
    f"<Value>{{{root}}}</Value></Item></CustomData></Meta>"
)
if "<CustomData>" in xml.split("</Meta>", 1)[0]:
    sys.exit(f"{path}: Meta already has CustomData; not handled")
xml = xml.replace("</Meta>", entry, 1)
with open(path, "w", encoding="utf-8") as f:
    f.write(xml)
