"""aiosmtpd handlers for huizong's mail tests: a Maildir that refuses some recipients."""

from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    """Stores messages in a Maildir; refuses every recipient whose address contains the given token."""

    def __init__(self, mail_dir, refuse):
        super().__init__(mail_dir)
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and self.refuse in address:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 2:
            parser.error("usage: RefusingMailbox MAILDIR REFUSE_TOKEN")
        return cls(args[0], args[1])
