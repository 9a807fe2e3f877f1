<?php

namespace GrowthStandin;

use MediaWiki\Api\ApiBase;
use MediaWiki\Api\ApiMain;
use MediaWiki\ParamValidator\TypeDef\UserDef;
use MediaWiki\User\Options\UserOptionsManager;
use MediaWiki\User\UserIdentity;
use MediaWiki\User\UserIdentityUtils;
use StatusValue;
use Wikimedia\ParamValidator\ParamValidator;
use Wikimedia\Rdbms\IDBAccessObject;
use Wikimedia\Timestamp\ConvertibleTimestamp;

/**
 * action=growthmanagementorlist: add, change or remove a mentor (POST, csrf).
 *
 * Without "username" the performer edits their own entry (enrollasmentor or managementors,
 * or being a mentor already); with "username" the right managementors is needed. The entry is
 * rewritten from the parameters: message/weight keep their stored value when omitted, but the
 * away state is always taken from isaway/awaytimestamp, so a change without isaway makes an
 * away mentor active again. remove leaves the mentor's mentees assigned to them.
 */
class ApiManageMentorList extends ApiBase {

	public function __construct(
		ApiMain $mainModule,
		string $moduleName,
		private UserOptionsManager $userOptionsManager,
		private UserIdentityUtils $userIdentityUtils
	) {
		parent::__construct( $mainModule, $moduleName );
	}

	/** @inheritDoc */
	public function execute() {
		$performer = $this->getUser();
		$block = $performer->getBlock( IDBAccessObject::READ_LATEST );
		if ( $block && $block->isSitewide() ) {
			$this->dieBlocked( $block );
		}
		if ( !MentorList::isMentor( $performer ) ) {
			$this->checkUserRightsAny( [ 'enrollasmentor', 'managementors' ] );
		}

		$params = $this->extractRequestParams();
		if ( $params['username'] !== null ) {
			$this->checkUserRightsAny( 'managementors' );
			/** @var UserIdentity $mentorUser */
			$mentorUser = $params['username'];
		} else {
			$mentorUser = $performer;
		}

		$entries = MentorList::loadEntries();
		$existing = $entries[$mentorUser->getId()] ?? null;
		$message = $existing !== null ? MentorList::getMessage( $existing ) : null;
		$weight = $existing !== null ? MentorList::getWeight( $existing ) : MentorList::DEFAULT_WEIGHT;
		if ( $params['message'] !== null ) {
			$message = $params['message'] !== '' ? $params['message'] : null;
		}
		if ( $params['weight'] !== null ) {
			$weight = (int)$params['weight'];
		}

		if ( $params['isaway'] && $params['awaytimestamp'] === null ) {
			$this->dieWithError( 'growthexperiments-api-managementors-error-no-away-timestamp', 'away-timestamp' );
		}
		$action = $params['geaction'];
		if ( $params['isaway'] && $action !== 'remove' ) {
			$this->dieStatusIfBad( $this->canChangeStatus( $mentorUser ) );
		}
		$awayTimestamp = $params['isaway'] && $params['awaytimestamp'] ? $params['awaytimestamp'] : null;
		if ( $awayTimestamp !== null ) {
			$this->dieStatusIfBad( $this->validateAwayTimestamp( $awayTimestamp ) );
		}

		$name = $mentorUser->getName();
		switch ( $action ) {
			case 'add':
				if ( !$mentorUser->isRegistered() || !$this->userIdentityUtils->isNamed( $mentorUser ) ) {
					$this->dieWithError( [ 'growthexperiments-mentor-writer-error-anonymous-user', $name ] );
				}
				if ( $existing !== null ) {
					$this->dieWithError( [ 'growthexperiments-mentor-writer-error-already-added', $name ] );
				}
				$entries[$mentorUser->getId()] = MentorList::serializeEntry( $message, $weight, $awayTimestamp );
				break;
			case 'change':
				if ( $existing === null ) {
					$this->dieWithError( [ 'growthexperiments-mentor-writer-error-not-in-the-list', $name ] );
				}
				$entries[$mentorUser->getId()] = MentorList::serializeEntry( $message, $weight, $awayTimestamp );
				break;
			case 'remove':
				if ( $existing === null ) {
					$this->dieWithError( [ 'growthexperiments-mentor-writer-error-not-in-the-list', $name ] );
				}
				unset( $entries[$mentorUser->getId()] );
				break;
		}

		$this->dieStatusIfBad( MentorList::save(
			$entries,
			$performer,
			MentorList::makeSummary( $action, $performer, $mentorUser, $params['summary'] )
		) );

		if ( $action !== 'remove' ) {
			if ( $params['isaway'] ) {
				$this->userOptionsManager->setOption(
					$mentorUser,
					Mentorship::AWAY_PREF,
					ConvertibleTimestamp::convert( TS_MW, $params['awaytimestamp'] )
				);
				$this->userOptionsManager->saveOptions( $mentorUser );
			} elseif ( $this->canChangeStatus( $mentorUser )->isOK() ) {
				// A sitewide-blocked mentor cannot change status: the option then stays as it is.
				$this->userOptionsManager->setOption( $mentorUser, Mentorship::AWAY_PREF, null );
				$this->userOptionsManager->saveOptions( $mentorUser );
			}
		}

		$backTs = Mentorship::isAwayBecauseBlockOrLock( $mentorUser ) ? null : Mentorship::getAwayTimestamp( $mentorUser );
		$this->getResult()->addValue( null, $this->getModuleName(), [
			'status' => 'ok',
			'mentor' => [
				'message' => $message,
				'weight' => $weight,
				'awayTimestamp' => $backTs,
				'awayTimestampHuman' => $backTs !== null
					? $this->getLanguage()->date( $backTs, true ) : null,
				'automaticallyAssigned' => $weight !== 0,
			],
		] );
	}

	private function dieStatusIfBad( StatusValue $status ): void {
		if ( !$status->isOK() ) {
			$this->dieStatus( $status );
		}
	}

	private function canChangeStatus( UserIdentity $mentor ): StatusValue {
		if ( Mentorship::isSitewideBlocked( $mentor ) ) {
			return StatusValue::newFatal(
				'growthexperiments-mentor-dashboard-mentor-tools-mentor-status-error-cannot-be-changed-block'
			);
		}
		if ( Mentorship::isLocked( $mentor ) ) {
			return StatusValue::newFatal(
				'growthexperiments-mentor-dashboard-mentor-tools-mentor-status-error-cannot-be-changed-lock',
				$mentor->getName()
			);
		}
		return StatusValue::newGood();
	}

	private function validateAwayTimestamp( string $timestamp ): StatusValue {
		$unix = ConvertibleTimestamp::convert( TS_UNIX, $timestamp );
		if ( $unix === false ) {
			return StatusValue::newFatal( 'growthstandin-invalid-away-timestamp', $timestamp );
		}
		if ( (int)$unix - ConvertibleTimestamp::time() > Mentorship::MAX_AWAY_DAYS * 86400 ) {
			return StatusValue::newFatal(
				'growthexperiments-mentor-dashboard-mentor-tools-away-dialog-error-toohigh',
				Mentorship::MAX_AWAY_DAYS
			);
		}
		return StatusValue::newGood();
	}

	/** @inheritDoc */
	public function isWriteMode() {
		return true;
	}

	/** @inheritDoc */
	public function mustBePosted() {
		return true;
	}

	/** @inheritDoc */
	public function needsToken() {
		return 'csrf';
	}

	/** @inheritDoc */
	protected function getAllowedParams() {
		return [
			'geaction' => [
				ParamValidator::PARAM_REQUIRED => true,
				ParamValidator::PARAM_TYPE => [ 'add', 'change', 'remove' ],
			],
			'message' => [
				ParamValidator::PARAM_TYPE => 'string',
			],
			'weight' => [
				ParamValidator::PARAM_TYPE => array_map( 'strval', MentorList::WEIGHTS ),
			],
			'isaway' => [
				ParamValidator::PARAM_TYPE => 'boolean',
			],
			'awaytimestamp' => [
				ParamValidator::PARAM_TYPE => 'timestamp',
			],
			'summary' => [
				ParamValidator::PARAM_TYPE => 'string',
				ParamValidator::PARAM_DEFAULT => '',
			],
			'username' => [
				ParamValidator::PARAM_TYPE => 'user',
				UserDef::PARAM_ALLOWED_USER_TYPES => [ 'name' ],
				UserDef::PARAM_RETURN_OBJECT => true,
			],
		];
	}
}
