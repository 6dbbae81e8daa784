"""The gamification engine: streaks, milestones, badges, goals, boards, points, challenges."""
