//! Findings: what validation says about a return, one value per problem.
