"""Files: the FORMAT.md JSON of instances and solutions (`io`, the only JSON reader and
writer) and the public benchmark files with their distance conventions (`vrplib`: VRPLIB,
Solomon)."""
