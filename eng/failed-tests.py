#!/usr/bin/env python3
"""Prints every failed test of the TRX and JUnit reports given, each with the head of its failure message.

Usage: failed-tests.py REPORT...   (prints nothing when nothing failed; exit code 0)
The head is short on purpose: eng/test.sh prints it at the end of a CI log, where only the tail may be kept.
"""
import os
import sys
import xml.etree.ElementTree as ElementTree

HEAD_LINES = 12
HEAD_CHARS = 1500
TRX_FAILED = {"Failed", "Error", "Timeout", "Aborted"}


def head(message):
    lines = (message or "").strip().splitlines()[:HEAD_LINES]
    return "\n".join("    " + line for line in lines)[:HEAD_CHARS]


def local(tag):
    return tag.rsplit("}", 1)[-1]


def trx_failures(root):
    for result in root.iter():
        if local(result.tag) == "UnitTestResult" and result.get("outcome") in TRX_FAILED:
            message = next((e.text for e in result.iter() if local(e.tag) == "Message"), "")
            yield result.get("testName"), message


def junit_failures(root):
    for case in root.iter("testcase"):
        failure = next((e for e in case if e.tag in ("failure", "error")), None)
        if failure is not None:
            yield case.get("name"), failure.get("message") or failure.text


def main(paths):
    for path in paths:
        if not os.path.exists(path):  # an unmatched glob
            continue
        try:
            root = ElementTree.parse(path).getroot()
        except (ElementTree.ParseError, OSError) as error:
            print(f"failed-tests: cannot read {path}: {error}", file=sys.stderr)
            continue
        failures = trx_failures(root) if local(root.tag) == "TestRun" else junit_failures(root)
        for name, message in failures:
            print(f"failed: {name}")
            if message:
                print(head(message))


if __name__ == "__main__":
    main(sys.argv[1:])
