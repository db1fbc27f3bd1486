#include "peergrid/exchange/hub_directory.h"

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::exchange {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(InMemoryHubDirectoryTest, RegistersAndFinds) {
  InMemoryHubDirectory dir;
  v1::Hub hub;
  hub.set_hub_id("hub-1");
  ASSERT_THAT(dir.AddHub(hub), IsOk());
  EXPECT_THAT(dir.AddHub(hub), StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("hub-1")));
  v1::Participant p;
  p.set_participant_id("h2");
  p.set_hub_id("hub-9");
  EXPECT_THAT(dir.AddParticipant(p), StatusIs(absl::StatusCode::kNotFound, HasSubstr("hub-9")));
  p.set_hub_id("hub-1");
  ASSERT_THAT(dir.AddParticipant(p), IsOk());
  p.set_participant_id("h1");
  ASSERT_THAT(dir.AddParticipant(p), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Hub found, dir.FindHub("hub-1"));
  EXPECT_EQ(found.hub_id(), "hub-1");
  EXPECT_THAT(dir.FindHub("nope"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  ASSERT_EQ(dir.ParticipantsOf("hub-1").size(), 2u);
  EXPECT_EQ(dir.ParticipantsOf("hub-1")[0].participant_id(), "h1");  // ordered by id
  EXPECT_THAT(dir.FindParticipant("h2"), IsOk());
  EXPECT_EQ(dir.ListHubs().size(), 1u);
}

}  // namespace
}  // namespace peergrid::exchange
