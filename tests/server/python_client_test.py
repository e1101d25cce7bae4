#!/usr/bin/python3
"""palisaded from a second language: Debian's python3-grpcio against a real
server. Auth, health, stats and errors need no VM; uploads and calls run
only where this machine has /dev/kvm, hardware or PVM (the C++ suite covers them
inside QEMU elsewhere).

  python_client_test.py PALISADED STUBS_DIR WASM_DIR
"""
import hashlib, os, subprocess, sys, tempfile, unittest

PALISADED, STUBS, WASM = sys.argv[1:4]
sys.path.insert(0, STUBS)
import grpc  # noqa: E402
from palisade.v1 import palisade_pb2 as pb, palisade_pb2_grpc as rpc  # noqa: E402

TOKEN = "py-token"
MD = [("authorization", "Bearer " + TOKEN)]
# Any /dev/kvm, hardware or PVM: scripts/kvm-backend.sh says.
HAVE_KVM = subprocess.run(
    [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "kvm-backend.sh")],
    stdout=subprocess.DEVNULL).returncode == 0


class PalisadedFromPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        config = os.path.join(cls.dir.name, "config.textproto")
        with open(config, "w") as f:
            f.write('tenants { name: "py" token_sha256: "%s" }\n' % hashlib.sha256(TOKEN.encode()).hexdigest())
        cls.proc = subprocess.Popen([PALISADED, "--listen", "127.0.0.1:0", "--config", config],
                                    stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()
        assert "listening on " in line, line
        cls.channel = grpc.insecure_channel(line.split("listening on ")[1].strip())
        grpc.channel_ready_future(cls.channel).result(timeout=10)
        cls.stub = rpc.PalisadeStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        assert cls.proc.wait(timeout=30) == 0
        cls.dir.cleanup()

    def test_unknown_token_is_unauthenticated(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.stub.GetStats(pb.GetStatsRequest(), metadata=[("authorization", "Bearer nope")])
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def test_stats(self):
        s = self.stub.GetStats(pb.GetStatsRequest(), metadata=MD)
        self.assertGreaterEqual(s.workers, 1)

    def test_health_by_raw_method(self):
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check")
        self.assertEqual(check(b"", timeout=10), b"\x08\x01")  # status: SERVING

    def test_unknown_sandbox_is_not_found(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.stub.Invoke(pb.InvokeRequest(sandbox_id="sb-" + "0" * 24, function="f"), metadata=MD)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    @unittest.skipUnless(HAVE_KVM, "no /dev/kvm here: VM calls are covered in QEMU by the C++ suite")
    def test_upload_create_invoke(self):
        data = open(os.path.join(WASM, "snapshot_target.wasm"), "rb").read()
        info = self.stub.UploadModule(iter([pb.UploadModuleRequest(chunk=data)]), metadata=MD)
        self.assertEqual(info.sha256, hashlib.sha256(data).hexdigest())
        sb = self.stub.CreateSandbox(pb.CreateSandboxRequest(module_sha256=info.sha256), metadata=MD)
        for _ in range(3):
            r = self.stub.Invoke(pb.InvokeRequest(sandbox_id=sb.id, function="bump"), metadata=MD)
            self.assertEqual(r.results[0].i32, 1043)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
