# -*- Python -*-
# lit runs every GoogleTest binary named *Tests under unittests/ in the build
# tree, one lit test per test case.

import os

import lit.formats

config.name = "KILN-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.kiln_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
