"""Images from untrusted bytes: the accepted formats, opening within limits, colour, orientation and the
renditions (core.imaging.renditions)."""
