"""Prints the messages of a Maildir as JSON: envelope recipients, decoded subject, Message-ID, attachments and their
sha256."""

import hashlib
import json
import mailbox
import sys
from email import policy
from email.parser import BytesParser

out = []
for key, raw in mailbox.Maildir(sys.argv[1], factory=None).items():
    msg = BytesParser(policy=policy.default).parsebytes(raw.as_bytes())
    attachments = []
    for part in msg.walk():
        name = part.get_filename()
        if name:
            data = part.get_payload(decode=True)
            attachments.append({"name": name, "sha256": hashlib.sha256(data).hexdigest()})
    out.append({
        "rcpt": msg.get("X-RcptTo", ""),
        "to": str(msg.get("To", "")),
        "subject": str(msg.get("Subject", "")),
        "message_id": str(msg.get("Message-ID", "")),
        "attachments": attachments,
    })
out.sort(key=lambda m: (m["rcpt"], m["subject"]))
json.dump(out, sys.stdout, ensure_ascii=False)
