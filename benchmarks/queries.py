"""The named queries: what front ends and parent apps actually send."""

from __future__ import annotations

__all__ = [
    "EXTERNAL_LOG_VIEW",
    "GUARDIAN_DASHBOARD",
    "HOLDER_LOG_VIEW",
    "HOLDER_MY_LOGS",
    "MANAGER_PASSIVE_REPORT",
    "PASSIVE_REPORT_IS_MY_LOGS",
]

GUARDIAN_DASHBOARD = """
query GuardianDashboard {
  myLogs(first: 20) {
    edges { node {
      id level status
      child { name birthDate }
      pointsOfAttention { id category description status
        measures { id type description status finishedBy daysToDeadline } }
      activity { lastActivityAt openMeasures overdueMeasures nextMeetingOn }
      sparkles { id occurredOn text authorKind }
    } }
  }
}
"""

HOLDER_LOG_VIEW = """
query LogView($id: ID!) {
  node(id: $id) { ... on RelayLog {
    id level status version createdAt
    child { name birthDate nationalId address }
    guardians { id name phone email nationalId }
    consents { id scope givenByKind evidence givenOn validUntil withdrawnAt }
    actors { id name position organisationName officePhone email mobile isHolder status }
    pointsOfAttention { id category description goal informedManager informedGuardian
      informedChild assessedLevel status version
      measures { id type description responsibleGuardians responsibleChild initiatedOn
        finishedBy daysToDeadline status version responsibleActors { name }
        evaluations { id outcome statusAfter comment evaluatedAt authorKind } } }
    meetings { id heldOn startsAt endsAt place status comments
      participants { kind name invited present } }
    notes { id text adultsOnly isSummary authorKind createdAt }
    sparkles { id occurredOn text authorKind }
    activity { lastActivityAt openMeasures overdueMeasures unrecordedMeetings nextMeetingOn
      activityPlanDeadline }
    levelHistory { fromLevel toLevel reason changedAt }
  } }
}
"""

# The external actor opens a level-2 log with the same screen as the holder; the policy
# nulls what they may not see (national ids, consent documents).
EXTERNAL_LOG_VIEW = HOLDER_LOG_VIEW

HOLDER_MY_LOGS = """
query MyLogs($after: String) {
  myLogs(first: 50, after: $after) {
    edges { cursor node {
      id level status
      child { name }
      activity { lastActivityAt openMeasures overdueMeasures unrecordedMeetings nextMeetingOn }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# The unit manager's passive-log control (``passiveLogs``): the whole unit in one request.
PASSIVE_REPORT_IS_MY_LOGS = False
MANAGER_PASSIVE_REPORT = """
query PassiveReport($unit: ID!, $inactiveDays: Int) {
  passiveLogs(organisationId: $unit, inactiveDays: $inactiveDays) {
    organisation inactiveDays asOf
    logs { logId status level lastActivityAt daysInactive inactive overdueMeasures
      unrecordedMeetings expiredConsents activityPlanDeadline activityPlanOverdue
      holder { name position } }
  }
}
"""
