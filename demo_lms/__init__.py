"""The demo LMS: an LTI 1.3 platform served under /demo/, installed only in demo mode.

It lets a newcomer click through the tool without Canvas or Moodle. Its protocol
core (``demo_lms.platform``) is also the tests' platform; the tool (``courses``)
never imports this package.
"""
