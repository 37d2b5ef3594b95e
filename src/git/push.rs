//! What a push sends: the paths changed by commits that are not yet on
//! the remote, found with a gix revision walk (no `git rev-list`). Tags
//! are peeled: an annotated tag pushes the commit it names, and a tag of
//! a tree or a blob pushes no commit at all.

use std::collections::HashSet;

use gix::bstr::BString;

use super::{GitError, Repo, diff};

impl Repo {
    /// The commit `id` names once tags are peeled; `None` when it names a
    /// tree or a blob (or is not present here).
    pub fn peel_to_commit_id(&self, id: gix::ObjectId) -> Result<Option<gix::ObjectId>, GitError> {
        let Some(object) = self.gix().try_find_object(id).map_err(|e| GitError::Read {
            what: format!("cannot read object {id}"),
            message: e.to_string(),
        })?
        else {
            return Ok(None);
        };
        let peeled = object.peel_tags_to_end().map_err(|e| GitError::Read {
            what: format!("cannot peel the tag {id}"),
            message: e.to_string(),
        })?;
        Ok((peeled.kind == gix::object::Kind::Commit).then_some(peeled.id))
    }

    /// The paths one pre-push line sends: `local` replaces `remote_old`
    /// (all zeros, or unknown here, for a new ref) on the remote `remote`.
    /// Both may be tags; a deletion (`local` all zeros) or a ref of a tree
    /// or blob sends no commit, so no paths.
    pub fn pushed_paths(
        &self,
        local: gix::ObjectId,
        remote_old: gix::ObjectId,
        remote: &str,
    ) -> Result<Vec<BString>, GitError> {
        if local.is_null() {
            return Ok(Vec::new());
        }
        let Some(local) = self.peel_to_commit_id(local)? else {
            return Ok(Vec::new());
        };
        let old = match remote_old.is_null() {
            true => None,
            false => self.peel_to_commit_id(remote_old)?,
        };
        match old {
            Some(old) => {
                let base = match self.gix().merge_base(old, local) {
                    Ok(Some(id)) => id.detach(),
                    _ => old,
                };
                diff::tree_against_tree(
                    self.gix(),
                    self.commit_tree(base)?,
                    self.commit_tree(local)?,
                )
            }
            None => self.paths_not_on_remote(local, remote),
        }
    }

    /// Paths changed by the commits reachable from `local` (a commit) that
    /// no ref under `refs/remotes/<remote>/` reaches (a new branch). A root
    /// commit among them means every path of `local`'s tree.
    pub fn paths_not_on_remote(
        &self,
        local: gix::ObjectId,
        remote: &str,
    ) -> Result<Vec<BString>, GitError> {
        let repo = self.gix();
        let err = |e: gix::Error| GitError::Read {
            what: "cannot walk the commits to push".into(),
            message: e.to_string(),
        };
        let mut hidden = Vec::new();
        let prefix = format!("refs/remotes/{remote}/");
        if let Ok(platform) = repo.references()
            && let Ok(iter) = platform.all()
        {
            for mut r in iter.flatten() {
                if r.name().as_bstr().starts_with(prefix.as_bytes())
                    && let Ok(id) = r.peel_to_id()
                    && let Ok(Some(commit)) = self.peel_to_commit_id(id.detach())
                {
                    hidden.push(commit);
                }
            }
        }
        let walk = repo
            .rev_walk([local])
            .with_hidden(hidden)
            .all()
            .map_err(err)?;
        let mut commits = Vec::new();
        for info in walk {
            let info = info.map_err(|e| GitError::Read {
                what: "cannot walk the commits to push".into(),
                message: e.to_string(),
            })?;
            commits.push((info.id, info.parent_ids.to_vec()));
        }
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        let set: HashSet<gix::ObjectId> = commits.iter().map(|c| c.0).collect();
        let local_tree = self.commit_tree(local)?;
        let mut bases = Vec::new();
        for (_, parents) in &commits {
            if parents.is_empty() {
                // A root commit is pushed: everything in the tree is new.
                return diff::tree_against_tree(
                    repo,
                    gix::ObjectId::empty_tree(local.kind()),
                    local_tree,
                );
            }
            for p in parents {
                if !set.contains(p) && !bases.contains(p) {
                    bases.push(*p);
                }
            }
        }
        let mut out: Vec<BString> = Vec::new();
        for base in bases {
            out.extend(diff::tree_against_tree(
                repo,
                self.commit_tree(base)?,
                local_tree,
            )?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Paths a merge commit in progress should check: the conflict files
    /// git listed in MERGE_MSG, plus staged paths that differ from both
    /// HEAD and MERGE_HEAD (what the user resolved or added by hand).
    pub fn merge_paths(&self) -> Result<Option<Vec<BString>>, GitError> {
        let merge_head = self.git_dir().join("MERGE_HEAD");
        let Ok(text) = std::fs::read_to_string(&merge_head) else {
            return Ok(None);
        };
        let Some(first) = text.split_whitespace().next() else {
            return Ok(None);
        };
        let Ok(merge_id) = gix::ObjectId::from_hex(first.as_bytes()) else {
            return Ok(None);
        };
        let mut out: Vec<BString> = Vec::new();
        if let Ok(msg) = std::fs::read(self.git_dir().join("MERGE_MSG")) {
            let mut in_conflicts = false;
            for line in msg.split(|b| *b == b'\n') {
                let l = line.strip_prefix(b"#").unwrap_or(line);
                if l.trim_ascii() == b"Conflicts:" {
                    in_conflicts = true;
                    continue;
                }
                if in_conflicts {
                    if l.starts_with(b"\t") {
                        out.push(BString::from(l.trim_ascii()));
                    } else {
                        in_conflicts = false;
                    }
                }
            }
        }
        let index = self.index()?;
        let vs_head = diff::index_against_tree(self.gix(), &index, self.head_tree_id()?)?;
        let vs_merge: HashSet<BString> =
            diff::index_against_tree(self.gix(), &index, self.commit_tree(merge_id)?)?
                .into_iter()
                .collect();
        out.extend(vs_head.into_iter().filter(|p| vs_merge.contains(p)));
        out.sort();
        out.dedup();
        Ok(Some(out))
    }
}
