"""The LTI 1.3 layer: registration, launch, session binding, AGS, NRPS, deep linking, demo LMS."""
