"""A small SMTP server that misbehaves on purpose, for huizong's mail tests.

Usage: faulty_smtp.py MODE N DIR

  normal   an ordinary server (8BITMIME, AUTH PLAIN and LOGIN: any login is accepted and written to DIR/logins)
  silent   accepts connections and never says a word
  refuse   greets with "554 5.3.2" and closes the connection
  drop     serves normally, but after the whole N-th message (counted from 1 over all connections; N = 0: every
           message) keeps it and closes the connection without answering
  stall    like drop, but keeps the connection open without answering, and creates DIR/stalled
  trickle  keeps each connection busy with an answer that never ends, one line every half second: from the
           greeting when N = 0, else after keeping the whole N-th message
  slow     serves normally, but waits N milliseconds before answering each whole message
  limit    serves normally, but answers the MAIL command after N messages on one connection with 421 and closes it

It prints the port it listens on (127.0.0.1) as the first line of stdout, keeps messages in the Maildir
DIR/maildir with an X-RcptTo header as aiosmtpd's Mailbox does, and appends a line to DIR/connections for every
connection it accepts.
"""

import base64
import mailbox
import os
import socketserver
import sys
import threading
import time

MODE, AT, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
LOCK = threading.Lock()
COUNT = [0]


def note(name, text):
    with LOCK, open(os.path.join(DIR, name), "a", encoding="utf-8") as f:
        f.write(text + "\n")


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())
        self.wfile.flush()

    def wait_for_close(self):
        while self.rfile.read(1):
            pass

    def handle(self):
        note("connections", "connect")
        if MODE == "silent":
            self.wait_for_close()
            return
        if MODE == "refuse":
            self.reply("554 5.3.2 no service here, try again later")
            return
        if MODE == "trickle" and AT == 0:
            self.trickle("220")
            return
        self.reply("220 faulty.test ESMTP")
        rcpt = []
        taken = 0
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-faulty.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n")
                self.wfile.flush()
            elif verb == "AUTH":
                self.auth(cmd.split(" ")[1:])
            elif verb == "MAIL":
                if MODE == "limit" and taken >= AT:
                    self.reply("421 4.7.0 too many messages on one connection")
                    return
                rcpt = []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpt.append(cmd.split(":", 1)[1].strip().strip("<>").split(">")[0])
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                if not self.data(rcpt):
                    return
                taken += 1
            elif verb in ("RSET", "NOOP", "HELO"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 5.5.2 command not recognised")

    def trickle(self, code):
        """Sends the first lines of a multi-line answer, slowly, until the client goes away."""
        try:
            while True:
                self.reply(code + "-still thinking")
                time.sleep(0.5)
        except OSError:
            pass

    def auth(self, args):
        mechanism = args[0].upper() if args else ""
        if mechanism == "PLAIN":
            if len(args) > 1:
                token = args[1]
            else:
                self.reply("334 ")
                token = self.rfile.readline().decode().strip()
            _, user, password = base64.b64decode(token).decode("utf-8").split("\0")
        elif mechanism == "LOGIN":
            self.reply("334 VXNlcm5hbWU6")
            user = base64.b64decode(self.rfile.readline().strip()).decode("utf-8")
            self.reply("334 UGFzc3dvcmQ6")
            password = base64.b64decode(self.rfile.readline().strip()).decode("utf-8")
        else:
            self.reply("504 5.5.4 unknown mechanism")
            return
        note("logins", user + ":" + password)
        self.reply("235 2.7.0 authenticated")

    def data(self, rcpt):
        """Reads one message; returns False when the connection is to end without an answer."""
        lines = []
        while True:
            line = self.rfile.readline()
            if not line:
                return False
            if line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
            box = mailbox.Maildir(os.path.join(DIR, "maildir"))
            box.add(("X-RcptTo: " + ", ".join(rcpt) + "\r\n").encode() + b"".join(lines))
        if MODE == "trickle" and AT == n:
            self.trickle("250")
            return False
        if MODE in ("drop", "stall") and AT in (0, n):
            if MODE == "stall":
                note("stalled", str(n))
                self.wait_for_close()
            return False
        if MODE == "slow":
            time.sleep(AT / 1000)
        self.reply("250 2.0.0 OK queued as %d" % n)
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
