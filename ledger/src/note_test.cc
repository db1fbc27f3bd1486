// Ed25519 (Wycheproof, RFC 8032 TEST 2), C2SP signed notes and checkpoints.
#include "peergrid/ledger/note.h"

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::ledger {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Ed25519Test, WycheproofVectors) {
  std::ifstream in(peergrid::testing::VectorsDir() + "/ed25519/wycheproof_ed25519_test.json");
  ASSERT_TRUE(in.good());
  nlohmann::json doc = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& group : doc["testGroups"]) {
    std::string pk = absl::HexStringToBytes(group["publicKey"]["pk"].get<std::string>());
    ASSERT_OK_AND_ASSIGN(VerifierKey key, VerifierKey::FromPublicKey("wycheproof", pk));
    for (const auto& t : group["tests"]) {
      std::string msg = absl::HexStringToBytes(t["msg"].get<std::string>());
      std::string sig = absl::HexStringToBytes(t["sig"].get<std::string>());
      bool want = t["result"].get<std::string>() == "valid";
      EXPECT_EQ(key.VerifySignature(msg, sig), want) << "tcId " << t["tcId"];
      ++checked;
    }
  }
  EXPECT_EQ(checked, doc["numberOfTests"].get<int>());
  EXPECT_EQ(checked, 151);
}

TEST(Ed25519Test, Rfc8032Test2ByteForByte) {
  std::string seed =
      absl::HexStringToBytes("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  ASSERT_OK_AND_ASSIGN(Signer signer, Signer::FromSeed("rfc8032", seed));
  EXPECT_EQ(absl::BytesToHexString(signer.verifier().public_key()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  std::string sig = signer.Sign(absl::HexStringToBytes("72"));
  EXPECT_EQ(absl::BytesToHexString(sig),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e4"
            "58f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_TRUE(signer.verifier().VerifySignature(absl::HexStringToBytes("72"), sig));
  EXPECT_FALSE(signer.verifier().VerifySignature(absl::HexStringToBytes("73"), sig));
}

constexpr char kC2spKey[] = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr char kC2spNote[] =
    "This is an example message.\n"
    "\n"
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM"
    "=\n";

TEST(SignedNoteTest, C2spExample) {
  ASSERT_OK_AND_ASSIGN(VerifierKey key, VerifierKey::Parse(kC2spKey));
  EXPECT_EQ(key.name(), "example.com/foo");
  EXPECT_EQ(key.key_id(), 0x530d903au);
  EXPECT_EQ(key.ToString(), kC2spKey);
  ASSERT_OK_AND_ASSIGN(std::string text, VerifyNote(kC2spNote, key));
  EXPECT_EQ(text, "This is an example message.\n");
  std::string changed = kC2spNote;
  changed[0] = 't';
  EXPECT_THAT(VerifyNote(changed, key),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not verify")));
}

TEST(SignedNoteTest, VerifierKeyParseErrors) {
  EXPECT_THAT(
      VerifierKey::Parse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  EXPECT_THAT(VerifierKey::Parse("nokey"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<name>+")));
  EXPECT_THAT(VerifierKey::Parse("a+530d903a+AAAA"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32-byte")));
  EXPECT_THAT(VerifierKey::FromPublicKey("bad name", std::string(32, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key name")));
}

TEST(SignedNoteTest, SignVerifyAndOtherKeysIgnored) {
  ASSERT_OK_AND_ASSIGN(Signer a, Signer::Generate("peergrid/test-a"));
  ASSERT_OK_AND_ASSIGN(Signer b, Signer::Generate("peergrid/test-b"));
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote("hello\nworld\n", a));
  ASSERT_OK_AND_ASSIGN(std::string text, VerifyNote(note, a.verifier()));
  EXPECT_EQ(text, "hello\nworld\n");
  EXPECT_THAT(VerifyNote(note, b.verifier()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no signature by key")));
  // A co-signature line by another key is ignored when verifying with `a`.
  ASSERT_OK_AND_ASSIGN(std::string by_b, SignNote("hello\nworld\n", b));
  std::string both = note + by_b.substr(by_b.find("\n\n") + 2);
  EXPECT_THAT(VerifyNote(both, a.verifier()), IsOk());
  EXPECT_THAT(VerifyNote(both, b.verifier()), IsOk());
  EXPECT_THAT(SignNote("no newline", a),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("end with a newline")));
  EXPECT_THAT(VerifyNote("hello\n", a.verifier()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no blank line")));
}

TEST(SignedNoteTest, PemRoundTrip) {
  ASSERT_OK_AND_ASSIGN(Signer a, Signer::Generate("peergrid/pem"));
  std::string pem = a.Pkcs8Pem();
  EXPECT_THAT(pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  ASSERT_OK_AND_ASSIGN(Signer back, Signer::FromPkcs8Pem("peergrid/pem", pem));
  EXPECT_EQ(back.verifier(), a.verifier());
  EXPECT_EQ(back.Sign("m"), a.Sign("m"));
  std::string pub = a.verifier().PublicKeyPem();
  EXPECT_THAT(pub, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  ASSERT_OK_AND_ASSIGN(VerifierKey from_pem, VerifierKey::FromPublicKeyPem("peergrid/pem", pub));
  EXPECT_EQ(from_pem, a.verifier());
  EXPECT_THAT(Signer::FromPkcs8Pem("x", "garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PKCS#8")));
  ASSERT_OK_AND_ASSIGN(VerifierKey parsed, VerifierKey::Parse(a.verifier().ToString()));
  EXPECT_EQ(parsed, a.verifier());
}

TEST(CheckpointTest, TextRoundTripAndVerify) {
  ASSERT_OK_AND_ASSIGN(Signer signer, Signer::Generate("peergrid/jeju-1"));
  Checkpoint cp{"peergrid/jeju-1", 1234, LeafHash("x")};
  std::string text = CheckpointText(cp);
  EXPECT_EQ(text, absl::StrCat("peergrid/jeju-1\n1234\n", HashToBase64(cp.root), "\n"));
  ASSERT_OK_AND_ASSIGN(Checkpoint parsed, ParseCheckpointText(text));
  EXPECT_EQ(parsed, cp);
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(text, signer));
  ASSERT_OK_AND_ASSIGN(Checkpoint verified,
                       VerifyCheckpoint(note, signer.verifier(), "peergrid/jeju-1"));
  EXPECT_EQ(verified, cp);
  EXPECT_THAT(VerifyCheckpoint(note, signer.verifier(), "peergrid/other"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("peergrid/other")));
  // Extension lines are accepted.
  EXPECT_THAT(ParseCheckpointText(text + "epoch 7\n"), IsOk());
}

TEST(CheckpointTest, ParseErrorsNameTheField) {
  std::string root = HashToBase64(LeafHash("x"));
  EXPECT_THAT(ParseCheckpointText("o\n12\n" + root),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("newline")));
  EXPECT_THAT(ParseCheckpointText("o\n012\n" + root + "\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tree size \"012\"")));
  EXPECT_THAT(ParseCheckpointText("o\n-1\n" + root + "\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tree size")));
  EXPECT_THAT(ParseCheckpointText("\n1\n" + root + "\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("origin")));
  EXPECT_THAT(ParseCheckpointText("o\n1\nAAAA\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("root")));
  EXPECT_THAT(ParseCheckpointText("o\n1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lines")));
}

// The identity point as a public key: R = identity, S = 0 "verifies" any
// message under cofactorless verification. Registration must refuse it.
std::string IdentityKey() {
  std::string key(32, '\0');
  key[0] = 1;
  return key;
}

TEST(Ed25519KeyTest, RefusesAYWithNoPointOnTheCurveAndAcceptsRealKeys) {
  std::string y2(32, '\0');
  y2[0] = 2;  // y = 2: (y² − 1) / (d·y² + 1) is not a square mod p
  EXPECT_THAT(ValidateEd25519PublicKey(y2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a point of the curve")));
  y2[31] = static_cast<char>(0x80);  // either sign of x
  EXPECT_THAT(ValidateEd25519PublicKey(y2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a point of the curve")));
  int off_curve = 0;
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<Signer> signer = Signer::Generate("k");
    ASSERT_TRUE(signer.ok());
    EXPECT_THAT(ValidateEd25519PublicKey(signer->verifier().public_key()), IsOk());
    std::string y(32, '\0');
    y[0] = static_cast<char>(i + 3);
    off_curve += ValidateEd25519PublicKey(y).ok() ? 0 : 1;
  }
  // About half of all y have no x: both outcomes occur.
  EXPECT_GT(off_curve, 50);
  EXPECT_LT(off_curve, 150);
}

TEST(Ed25519KeyTest, RefusesEverySmallOrderPointWithEitherSignBit) {
  const char* kSmallOrderHex[] = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  for (const char* hex : kSmallOrderHex) {
    std::string key = absl::HexStringToBytes(hex);
    EXPECT_THAT(ValidateEd25519PublicKey(key),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("small order")))
        << hex;
    key[31] = static_cast<char>(key[31] | 0x80);
    EXPECT_THAT(VerifierKey::FromPublicKey("p", key),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("small order")))
        << hex << " with the sign bit set";
  }
}

TEST(Ed25519KeyTest, RefusesNonCanonicalY) {
  // y = p + 2 .. 2^255 - 1 are non-canonical (p and p + 1 are small order too).
  for (int low : {0xef, 0xf0, 0xff}) {
    std::string key(32, '\xff');
    key[0] = static_cast<char>(low);
    key[31] = '\x7f';
    EXPECT_THAT(ValidateEd25519PublicKey(key),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("canonical")))
        << low;
  }
  EXPECT_THAT(ValidateEd25519PublicKey(std::string(31, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("31 bytes")));
}

TEST(Ed25519KeyTest, AcceptsRealKeys) {
  ASSERT_OK_AND_ASSIGN(Signer signer, Signer::Generate("real"));
  EXPECT_THAT(ValidateEd25519PublicKey(signer.verifier().public_key()), IsOk());
}

TEST(Ed25519KeyTest, TheIdentityKeyIsRefused) {
  EXPECT_THAT(VerifierKey::FromPublicKey("forger", IdentityKey()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("small order")));
}

TEST(Ed25519KeyTest, RefusesSignaturesWithSAtOrAboveTheGroupOrder) {
  ASSERT_OK_AND_ASSIGN(Signer signer, Signer::Generate("s"));
  const std::string msg = "peergrid order v1\n";
  const std::string sig = signer.Sign(msg);
  ASSERT_TRUE(signer.verifier().VerifySignature(msg, sig));
  // S + L is the same scalar mod L: a malleated signature that a lax
  // verifier accepts. Add L to S (little-endian, with carry).
  const unsigned char kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  std::string malleated = sig;
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned sum = static_cast<unsigned char>(malleated[32 + i]) + kL[i] + carry;
    malleated[32 + i] = static_cast<char>(sum & 0xff);
    carry = sum >> 8;
  }
  if (carry == 0) {  // S + L < 2^256: still 32 bytes, and S + L >= L
    EXPECT_FALSE(signer.verifier().VerifySignature(msg, malleated));
  }
  // S = L exactly, and S = 2^256 - 1.
  std::string s_is_l = sig;
  for (int i = 0; i < 32; ++i) s_is_l[32 + i] = static_cast<char>(kL[i]);
  EXPECT_FALSE(signer.verifier().VerifySignature(msg, s_is_l));
  std::string s_max = sig;
  for (int i = 32; i < 64; ++i) s_max[i] = '\xff';
  EXPECT_FALSE(signer.verifier().VerifySignature(msg, s_max));
}

// A key is loaded into OpenSSL once and shared by its copies, which verify
// from many threads at once: each answer is still its own.
TEST(Ed25519KeyTest, CopiesOfAKeyVerifyConcurrentlyAndIndependently) {
  ASSERT_OK_AND_ASSIGN(Signer alice, Signer::Generate("alice"));
  ASSERT_OK_AND_ASSIGN(Signer bob, Signer::Generate("bob"));
  ASSERT_OK_AND_ASSIGN(VerifierKey alice_key,
                       VerifierKey::FromPublicKey("alice", alice.verifier().public_key()));
  const VerifierKey bob_key = bob.verifier();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const VerifierKey mine = t % 2 == 0 ? alice_key : bob_key;  // a copy per thread
      const Signer& signer = t % 2 == 0 ? alice : bob;
      const Signer& other = t % 2 == 0 ? bob : alice;
      for (int n = 0; n < 50; ++n) {
        const std::string msg = absl::StrCat("order ", t, "-", n);
        if (!mine.VerifySignature(msg, signer.Sign(msg))) ++wrong;
        if (mine.VerifySignature(msg, other.Sign(msg))) ++wrong;
        if (mine.VerifySignature(msg + "!", signer.Sign(msg))) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(alice_key, alice.verifier());
  EXPECT_FALSE(alice_key == bob_key);
}

}  // namespace
}  // namespace peergrid::ledger
