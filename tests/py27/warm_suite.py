"""The warm worker's client under GIMP 2.10's Python 2.7: the channel's folder, key and framing.

The server needs the venv (Python 3), so here the client's own parts run: that they import and work
under 2.7 is what GIMP 2.10 needs; tests/test_warm_worker.py runs the whole thing under Python 3.
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031, PT009, PT027  (Python 2.7 syntax: unittest, no pytest)

import os
import shutil
import socket
import tempfile
import unittest

from plugin.link import warm_channel, warm_client


class WarmClientSuite(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="w27-", dir="/tmp")

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def test_the_socket_folder_is_private_and_an_open_one_is_refused(self):
        made = warm_channel.socket_folder({"XDG_RUNTIME_DIR": self.folder})
        self.assertEqual(os.stat(made).st_mode & 0o777, 0o700)
        os.chmod(made, 0o755)
        self.assertRaises(warm_channel.ChannelError, warm_channel.socket_folder, {"XDG_RUNTIME_DIR": self.folder})

    def test_the_key_follows_import_time_variables_only(self):
        key = warm_channel.worker_key("/r", "/p", 1, "5", {"HOME": "/a", "NUMBA_NUM_THREADS": "2"})
        self.assertEqual(key, warm_channel.worker_key("/r", "/p", 1, "5", {"HOME": "/b", "NUMBA_NUM_THREADS": "2"}))
        self.assertNotEqual(key, warm_channel.worker_key("/r", "/p", 1, "5", {"NUMBA_NUM_THREADS": "1"}))
        self.assertNotEqual(key, warm_channel.worker_key("/r", "/p", 2, "5", {"NUMBA_NUM_THREADS": "2"}))

    def test_messages_are_json_lines(self):
        left, right = socket.socketpair()
        warm_channel.send(left, {"progress": 0.5, "stage": u"filling"})
        left.sendall(b"not json\n")
        left.close()
        reader = warm_channel.LineReader(right)
        self.assertEqual(reader.read(), {"progress": 0.5, "stage": u"filling"})
        self.assertEqual(reader.read(), {"log": u"not json"})
        self.assertEqual(reader.read(), None)
        right.close()

    def test_fault_injection_and_warm_off_take_the_cold_path(self):
        used = []

        def cold(python, repo, folder, on_progress, command):
            used.append(command)
            return "cold"

        self.assertEqual(warm_client.run_worker("py", "/r", "/j", None, ["py", "-m", "x", "/j"], cold=cold), "cold")
        self.assertEqual(warm_client.run_worker("py", "/r", "/j", None, None, cold=cold,
                                                environ={"IMAGEN_GIMP_WARM": "0"}), "cold")
        self.assertEqual(used, [["py", "-m", "x", "/j"], None])
        self.assertTrue(warm_client.enabled({}))
