<?php

namespace GrowthStandin;

use MediaWiki\MediaWikiServices;
use MediaWiki\User\UserIdentity;
use Wikimedia\Rdbms\IDatabase;

/**
 * The growthexperiments_mentor_mentee table: one row per (mentee, role).
 */
class MentorStore {

	public const TABLE = 'growthexperiments_mentor_mentee';
	public const ROLE_PRIMARY = 'primary';
	public const ROLE_BACKUP = 'backup';
	public const ROLES = [ self::ROLE_PRIMARY, self::ROLE_BACKUP ];

	private static function db(): IDatabase {
		return MediaWikiServices::getInstance()->getConnectionProvider()->getPrimaryDatabase();
	}

	/** Mentor user id of $mentee in $role, or null. */
	public static function getMentorId( UserIdentity $mentee, string $role = self::ROLE_PRIMARY ): ?int {
		$id = self::db()->newSelectQueryBuilder()
			->select( 'gemm_mentor_id' )
			->from( self::TABLE )
			->where( [ 'gemm_mentee_id' => $mentee->getId(), 'gemm_mentor_role' => $role ] )
			->caller( __METHOD__ )
			->fetchField();
		return $id === false ? null : (int)$id;
	}

	/**
	 * Mentee user ids of $mentor in $role (inactive mentees included).
	 *
	 * @return int[]
	 */
	public static function getMenteeIds( UserIdentity $mentor, string $role = self::ROLE_PRIMARY ): array {
		return array_map( 'intval', self::db()->newSelectQueryBuilder()
			->select( 'gemm_mentee_id' )
			->from( self::TABLE )
			->where( [ 'gemm_mentor_id' => $mentor->getId(), 'gemm_mentor_role' => $role ] )
			->orderBy( 'gemm_mentee_id' )
			->caller( __METHOD__ )
			->fetchFieldValues() );
	}

	public static function setMentor( UserIdentity $mentee, UserIdentity $mentor, string $role ): void {
		$dbw = self::db();
		$dbw->newInsertQueryBuilder()
			->insertInto( self::TABLE )
			->row( [
				'gemm_mentee_id' => $mentee->getId(),
				'gemm_mentor_role' => $role,
				'gemm_mentor_id' => $mentor->getId(),
			] )
			->onDuplicateKeyUpdate()
			->uniqueIndexFields( [ 'gemm_mentee_id', 'gemm_mentor_role' ] )
			->set( [ 'gemm_mentor_id' => $mentor->getId() ] )
			->caller( __METHOD__ )
			->execute();
	}

	/** Delete both the primary and the backup row of $mentee. */
	public static function dropMentee( UserIdentity $mentee ): void {
		self::db()->newDeleteQueryBuilder()
			->deleteFrom( self::TABLE )
			->where( [ 'gemm_mentee_id' => $mentee->getId() ] )
			->caller( __METHOD__ )
			->execute();
	}
}
