//! SIP (RFC 3261) message parser, printer, transactions and dialogs as sans-IO state machines
