//! The typed verb model and its TwiML front door
