#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: lambda_zip
short_description: Build a reproducible Lambda deployment zip from a folder of Python sources
version_added: 0.1.0
description:
  - Zips the files of O(src) that match O(patterns) (by default C(*.py), in sub-folders too, never
    C(__pycache__)) under a folder named O(root) at the top of the archive, and writes it to O(dest).
  - The archive is reproducible - the same sources always give the same bytes and so the same
    sha256 - because entries are sorted by path, every timestamp is 1980-01-01 00:00:00, every mode
    is 0644, and entries are stored uncompressed (the output of deflate depends on the zlib
    version of the controller; stored entries do not). M(amazon.aws.lambda) compares the zip's
    sha256 with the deployed C(CodeSha256), so a re-run with unchanged sources uploads nothing.
  - O(dest) is only rewritten when its content differs, atomically (temporary file + rename), so
    several hosts may build the same file at once.
  - "A local build step - it talks to no AWS API. Run it on the controller (C(delegate_to: localhost))."
options:
  src:
    description: Folder that holds the sources (for example C(files/lambda/bucketguard_notifier)).
    type: path
    required: true
  dest:
    description: Path of the zip to write. Its folder is created when missing.
    type: path
    required: true
  root:
    description: Folder name the sources get at the top of the zip. Default is the last part of O(src).
    type: str
  patterns:
    description: Shell-style patterns of the file names to include (matched against the base name).
    type: list
    elements: str
    default: ["*.py"]
  include:
    description:
      - Single files to add to the archive besides those of O(src), each at the path O(include[].dest)
        inside the zip (for example a file of the collection's C(plugins/module_utils/) that the code of
        O(src) imports, at C(ansible_collections/bucketguard/visibility/plugins/module_utils/NAME.py)).
      - Entries are sorted with the others, with the same fixed date and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: Path of the file on the controller.
        type: path
        required: true
      dest:
        description: Path of the entry inside the zip (relative, with C(/)).
        type: str
        required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Build the notifier package
  bucketguard.visibility.lambda_zip:
    src: "{{ role_path }}/../../files/lambda/bucketguard_notifier"
    dest: "~/.cache/bucketguard/bucketguard_notifier.zip"
  delegate_to: localhost
  register: notifier_zip
"""

RETURN = r"""
dest:
  description: Absolute path of the zip.
  returned: always
  type: str
  sample: /home/me/.cache/bucketguard/bucketguard_notifier.zip
sha256:
  description: Hex sha256 of the zip.
  returned: always
  type: str
  sample: 5d41402abc4b2a76b9719d911017c592aaf5a64c4f6fc1e0e4f7b0b4d8d2e1f0
code_sha256:
  description: Base64 sha256 of the zip, the form Lambda reports as C(CodeSha256).
  returned: always
  type: str
  sample: XUFAKrxLKna5cZ2REBfFkqr1pkxPb8Hg5PewtNjS4fA=
files:
  description: Paths of the entries in the zip, in order.
  returned: always
  type: list
  elements: str
  sample: ["bucketguard_notifier/__init__.py", "bucketguard_notifier/handler.py"]
"""

import base64
import fnmatch
import hashlib
import io
import os
import tempfile
import zipfile

from ansible.module_utils.basic import AnsibleModule

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
SKIPPED_DIRS = {"__pycache__"}


def collect_files(src, patterns):
    """Return the sorted relative paths (with "/") of the files under src whose name matches a pattern."""
    found = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in filenames:
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                rel = os.path.relpath(os.path.join(dirpath, name), src)
                found.append(rel.replace(os.sep, "/"))
    return sorted(found)


def build_zip_bytes(src, root, patterns, include=()):
    """Return (zip bytes, entry names): same files and contents give the same bytes.

    ``include`` is a list of (path on disk, path in the zip) added beside the files of ``src``.
    """
    entries = {(f"{root}/{rel}" if root else rel): os.path.join(src, rel) for rel in collect_files(src, patterns)}
    for path, arcname in include:
        entries[arcname.strip("/")] = path
    names = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for arcname in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so external_attr holds the mode
            info.external_attr = FILE_MODE << 16
            with open(entries[arcname], "rb") as f:
                archive.writestr(info, f.read())
            names.append(arcname)
    return buffer.getvalue(), names


def write_if_changed(dest, data):
    """Write data to dest atomically unless dest already holds exactly these bytes. Return True if written."""
    try:
        with open(dest, "rb") as f:
            if f.read() == data:
                return False
    except FileNotFoundError:
        pass
    folder = os.path.dirname(dest) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lambda_zip-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            root=dict(type="str"),
            patterns=dict(type="list", elements="str", default=["*.py"]),
            include=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(src=dict(type="path", required=True), dest=dict(type="str", required=True)),
            ),
        ),
        supports_check_mode=True,
    )
    src = os.path.abspath(module.params["src"])
    dest = os.path.abspath(module.params["dest"])
    root = module.params["root"] if module.params["root"] is not None else os.path.basename(src.rstrip("/"))
    if not os.path.isdir(src):
        module.fail_json(msg=f"src {src} is not a folder")

    include = [(os.path.abspath(i["src"]), i["dest"]) for i in module.params["include"]]
    missing = [path for path, _ in include if not os.path.isfile(path)]
    if missing:
        module.fail_json(msg=f"include: not a file: {', '.join(missing)}")
    data, names = build_zip_bytes(src, root, module.params["patterns"], include)
    if not names:
        module.fail_json(msg=f"no file of {src} matches {module.params['patterns']}")
    digest = hashlib.sha256(data).digest()
    changed = False
    if not module.check_mode:
        try:
            changed = write_if_changed(dest, data)
        except OSError as e:
            module.fail_json(msg=f"could not write {dest}: {e}")
    else:
        try:
            with open(dest, "rb") as f:
                changed = f.read() != data
        except FileNotFoundError:
            changed = True
    module.exit_json(
        changed=changed,
        dest=dest,
        sha256=digest.hex(),
        code_sha256=base64.b64encode(digest).decode("ascii"),
        files=names,
    )


if __name__ == "__main__":
    main()
